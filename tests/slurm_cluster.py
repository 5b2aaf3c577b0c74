"""A real single-node SLURM cluster on localhost, for tests (Debian slurmctld, slurmd, slurmdbd,
MariaDB, munge).

Everything lives in private temporary directories: its own munge key and socket, its own
slurm.conf and slurmdbd.conf (found through SLURM_CONF), state, spool, pid and log files, its own
MariaDB data directory and free TCP ports, so it touches no system configuration and cannot
collide with another cluster on the same machine.

It keeps job accounting (slurmdbd storing in MariaDB), as a production cluster does, so `sacct`
answers and Snakemake's SLURM plugin polls job states with it, the profile's default. Without
accounting `sacct` fails at once, and the plugin (2.8.0) tries it whenever `scontrol show config`
does not answer within 10 s; a status round in which every attempt fails drops the jobs it was
asked about from Snakemake's active list, so Snakemake waits for them for ever (a CI run,
2026-12-07: five finished jobs, a hang until the test's 30-minute limit).
The daemons run in the foreground as children of this process; `stop()` cancels the jobs still
queued on this cluster and ends exactly the daemons it started, by PID.

It needs root (slurmd starts jobs as their user; munged runs as user munge). Where it cannot run,
`start()` raises ClusterUnavailable with the reason; tests turn that into a failure, not a skip.

The node advertises placeholder GPUs (a GPU GRES whose "device files" are /dev/null and its
kin) so that jobs asking for `--gpus=1` are scheduled as on a GPU cluster and get
CUDA_VISIBLE_DEVICES; code inside such a job still finds no CUDA device and runs on the CPU.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PARTITION = "debug"
DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "scancel", "srun", "sacct", "sacctmgr",
           "mariadb-install-db", "mariadb")
DEBIAN_PACKAGES = ("slurmctld slurmd slurmdbd slurm-client munge mariadb-server-core "
                   "mariadb-client-core")
CLUSTER_NAME = "activediff-test"
DB_NAME = "slurm_acct_db"
DB_USER = "slurm"
# slurmd wants one existing file per GPU; with TaskPlugin=task/none nothing is done with them.
PLACEHOLDER_GPU_FILES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/urandom")
URGENT_NICE = -10  # munged, the database and slurmctld: ahead of the jobs (nice 0) for the CPU



def stop_process(proc: subprocess.Popen, timeout: float, kill_timeout: float = 10) -> None:
    """SIGTERM a child still running, then SIGKILL it if it has not ended within `timeout` s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=kill_timeout)

class ClusterUnavailable(RuntimeError):
    """This machine cannot run the test cluster; the message says why and how to fix it."""


def _find(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb() -> int:
    with open("/proc/meminfo") as fh:
        total_kb = next(int(line.split()[1]) for line in fh if line.startswith("MemTotal:"))
    return total_kb // 1024


def check_prerequisites() -> dict[str, str]:
    """Paths of the daemons and client commands; raise ClusterUnavailable if anything is missing."""
    if os.geteuid() != 0:
        raise ClusterUnavailable(
            "the SLURM test needs root (slurmd launches jobs, munged runs as user munge); "
            "run the test suite as root, as CI does")
    tools = {name: _find(name) for name in DAEMONS + CLIENTS}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        raise ClusterUnavailable(
            f"missing SLURM/munge programs {missing}: install the Debian packages "
            f"{DEBIAN_PACKAGES} (bash envs/setup.sh does)")
    try:
        pwd.getpwnam("munge")
    except KeyError:
        raise ClusterUnavailable("no 'munge' user: install the Debian package munge") from None
    return tools


class SlurmCluster:
    """Start with `start()`, stop with `stop()`; `env` is the environment for client commands.

    `cpus` may exceed the machine's cores (the node is then oversubscribed: more jobs run at
    once, each slower), useful when jobs spend most of their time starting up.
    """

    def __init__(self, root: str | os.PathLike | None = None, cpus: int | None = None,
                 memory_mb: int | None = None, gpus: int = 4):
        if not 1 <= gpus <= len(PLACEHOLDER_GPU_FILES):
            raise ValueError(f"gpus must be 1..{len(PLACEHOLDER_GPU_FILES)}")
        self.gpus = gpus
        self.cpus = cpus or os.cpu_count() or 1
        self.memory_mb = memory_mb or max(1024, _memory_mb() - 1024)
        self.root = Path(root) if root is not None else None
        self._own_root = root is None
        self.munge_dir: Path | None = None
        self.conf: Path | None = None
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = dict(os.environ)

    # ---------------------------------------------------------------- set-up
    def start(self, timeout: float = 60.0) -> "SlurmCluster":
        self.tools = check_prerequisites()
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="activediff-slurm-"))
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self._start_munge()
            self._write_conf()
            self.env["SLURM_CONF"] = str(self.conf)
            self._write_srun_wrapper()
            self._start_accounting(timeout)
            self._spawn("slurmctld", [self.tools["slurmctld"], "-D", "-c", "-f", str(self.conf)],
                        urgent=True)
            self.wait_for(lambda: self._run("scontrol", "ping").stdout.count("UP") > 0,
                           timeout, "slurmctld to answer 'scontrol ping'")
            self._spawn("slurmd", [self.tools["slurmd"], "-D", "-N", "localhost",
                                   "-f", str(self.conf)])
            self.wait_for(self._node_idle, timeout, "the node to be idle in sinfo")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_munge(self) -> None:
        """A private munged (own key, socket, log) running as user munge."""
        munge = pwd.getpwnam("munge")
        # Under /tmp, not under the test's temporary directory: user munge must reach it.
        self.munge_dir = Path(tempfile.mkdtemp(prefix="activediff-munge-"))
        key = self.munge_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        for path in (self.munge_dir, key):
            os.chown(path, munge.pw_uid, munge.pw_gid)
        key.chmod(0o400)
        self.munge_dir.chmod(0o755)  # slurmd/slurmctld (root) and clients reach the socket
        self.munge_socket = self.munge_dir / "munge.socket"
        self._spawn("munged", [
            self.tools["munged"], "--foreground", f"--socket={self.munge_socket}",
            f"--key-file={key}", f"--log-file={self.munge_dir / 'munged.log'}",
            f"--pid-file={self.munge_dir / 'munged.pid'}",
            f"--seed-file={self.munge_dir / 'munged.seed'}"],
            user=munge.pw_uid, group=munge.pw_gid, urgent=True)
        self.wait_for(self.munge_socket.exists, 20, "munged to create its socket")

    def _start_accounting(self, timeout: float) -> None:
        """MariaDB (a fresh data directory, root by socket only, a password user for slurmdbd
        over TCP), then slurmdbd, then this cluster registered in it (slurmctld refuses to store
        the jobs of a cluster the database does not know)."""
        data, socket_path = self.root / "db", self.root / "db.sock"
        installed = self._run("mariadb-install-db", "--no-defaults", f"--datadir={data}",
                              "--user=root", "--auth-root-authentication-method=socket",
                              "--skip-test-db")
        if installed.returncode != 0:
            raise ClusterUnavailable("mariadb-install-db failed:\n" + installed.stdout[-2000:]
                                     + installed.stderr[-2000:])
        self._spawn("mariadbd", [
            self.tools["mariadbd"], "--no-defaults", f"--datadir={data}", "--user=root",
            f"--socket={socket_path}", f"--port={self.db_port}", "--bind-address=127.0.0.1",
            f"--pid-file={self.root / 'mariadbd.pid'}",
            f"--log-error={self.root / 'log' / 'mariadbd.log'}",
            # slurmdbd's recommended minimums (it logs an error below them)
            "--innodb-buffer-pool-size=128M", "--innodb-lock-wait-timeout=900",
            # no io_uring/libaio: containers often forbid them, and speed does not matter here
            "--innodb-use-native-aio=0", "--skip-log-bin"], urgent=True)
        sql = ("mariadb", "--no-defaults", f"--socket={socket_path}", "--user=root", "-e")
        self.wait_for(lambda: self._run(*sql, "SELECT 1").returncode == 0, timeout,
                       "MariaDB to accept connections")
        self._run(*sql, f"CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{self.db_password}'; "
                  f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'127.0.0.1'", check=True)
        self._spawn("slurmdbd", [self.tools["slurmdbd"], "-D"], urgent=True)
        self.wait_for(lambda: self._run("sacctmgr", "-n", "show", "cluster").returncode == 0,
                       timeout, "slurmdbd to answer 'sacctmgr show cluster'")
        self._run("sacctmgr", "-i", "add", "cluster", CLUSTER_NAME, check=True)

    def _write_conf(self) -> None:
        root = self.root
        for sub in ("state", "spool", "log"):
            (root / sub).mkdir()
        self.db_port, dbd_port = _free_port(), _free_port()
        self.db_password = os.urandom(12).hex()
        # slurmdbd reads slurmdbd.conf beside SLURM_CONF's slurm.conf; it must be private.
        dbd_conf = root / "slurmdbd.conf"
        dbd_conf.touch(mode=0o600)
        dbd_conf.write_text("\n".join([
            "AuthType=auth/munge",
            f"AuthInfo=socket={self.munge_socket}",
            "DbdHost=localhost",
            f"DbdPort={dbd_port}",
            "SlurmUser=root",
            "StorageType=accounting_storage/mysql",
            "StorageHost=127.0.0.1",
            f"StoragePort={self.db_port}",
            f"StorageUser={DB_USER}",
            f"StoragePass={self.db_password}",
            f"StorageLoc={DB_NAME}",
            f"PidFile={root / 'slurmdbd.pid'}",
            f"LogFile={root / 'log' / 'slurmdbd.log'}",
            "DebugLevel=info",
            "",
        ]))
        self.conf = root / "slurm.conf"
        self.conf.write_text("\n".join([
            f"ClusterName={CLUSTER_NAME}",
            "SlurmctldHost=localhost",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "MpiDefault=none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "DefMemPerCPU=1024",        # without it a job with no --mem takes the whole node
            "MinJobAge=3600",           # finished jobs stay in `scontrol show job` (the test reads them)
            "ReturnToService=2",
            "SchedulerType=sched/backfill",
            "AccountingStorageType=accounting_storage/slurmdbd",
            "AccountingStorageHost=localhost",
            f"AccountingStoragePort={dbd_port}",
            f"AccountingStoragePass={self.munge_socket}",   # the munged for slurmdbd connections
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "GresTypes=gpu",
            f"StateSaveLocation={root / 'state'}",
            f"SlurmdSpoolDir={root / 'spool'}",
            f"SlurmctldPidFile={root / 'slurmctld.pid'}",
            f"SlurmdPidFile={root / 'slurmd.pid'}",
            f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            # More CPUs than the machine has: slurmd must take the configured count as is.
            *(["SlurmdParameters=config_overrides"] if self.cpus > (os.cpu_count() or 1) else []),
            f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} "
            f"RealMemory={self.memory_mb} Gres=gpu:{self.gpus} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))
        files = ",".join(PLACEHOLDER_GPU_FILES[:self.gpus])
        (root / "gres.conf").write_text(f"NodeName=localhost Name=gpu File={files}\n")

    def _write_srun_wrapper(self) -> None:
        """Put an `srun` that knows this cluster's slurm.conf first on PATH.

        Inside a job, snakemake-executor-plugin-slurm-jobstep starts the rule with `srun` after
        removing every SLURM_* variable but the job's identity, SLURM_CONF included. A real
        cluster's nodes find /etc/slurm/slurm.conf (or use configless DNS); this one's
        configuration lives in a temporary folder, so the wrapper sets SLURM_CONF again and runs
        the real srun. PATH reaches jobs through sbatch --export=ALL.
        """
        bin_dir = self.root / "bin"
        bin_dir.mkdir(exist_ok=True)
        wrapper = bin_dir / "srun"
        wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec "{self.tools["srun"]}" "$@"\n')
        wrapper.chmod(0o755)
        self.env["PATH"] = os.pathsep.join([str(bin_dir), self.env.get("PATH", "")])

    # ---------------------------------------------------------------- helpers
    def _spawn(self, name: str, argv: list[str], user: int | None = None,
               group: int | None = None, urgent: bool = False) -> None:
        """Start a daemon in the foreground; `urgent` ones run at nice URGENT_NICE.

        The control plane (munged, MariaDB, slurmdbd, slurmctld) must answer while the node's
        jobs and the local run beside them keep both cores busy: Snakemake's status checks
        query it every few seconds. The niceness is set before the daemon starts its threads
        (they inherit it), then the user is dropped, so munged runs as munge."""
        def start() -> None:
            if urgent:
                os.nice(URGENT_NICE)
            if group is not None:
                os.setgroups([])
                os.setgid(group)
            if user is not None:
                os.setuid(user)
        log = open(self.root / f"{name}.out", "w")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=self.env,
                                            preexec_fn=start)

    def _run(self, tool: str, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run([self.tools[tool], *args], env=self.env, capture_output=True,
                              text=True, timeout=30, check=check)

    def _node_idle(self) -> bool:
        return self._run("sinfo", "-h", "-o", "%t").stdout.strip() == "idle"

    def wait_for(self, condition, timeout: float, what: str) -> None:
        """Poll `condition` until true; ClusterUnavailable if a daemon exits or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise ClusterUnavailable(
                        f"{name} exited with code {proc.returncode} while waiting for {what}:\n"
                        + self.daemon_output(name))
            try:
                if condition():
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.3)
        raise ClusterUnavailable(f"timed out after {timeout:.0f} s waiting for {what}:\n"
                                 + "\n".join(self.daemon_output(n) for n in self.procs))

    def daemon_output(self, name: str, tail: int = 30) -> str:
        """Last lines of a daemon's own log file and of its stdout/stderr."""
        text = []
        for path in (self.root / "log" / f"{name}.log", self.root / f"{name}.out",
                     (self.munge_dir or self.root) / f"{name}.log"):
            if path.is_file():
                lines = path.read_text(errors="replace").splitlines()[-tail:]
                text.append(f"--- {path}\n" + "\n".join(lines))
        return "\n".join(text)

    @property
    def slurmctld_log(self) -> str:
        return (self.root / "log" / "slurmctld.log").read_text(errors="replace")

    # ---------------------------------------------------------------- teardown
    def stop(self) -> None:
        """Cancel this cluster's jobs, then end the daemons started here (by PID), newest first."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            try:
                self._run("scancel", "--full", "--partition", PARTITION)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and self._run("squeue", "-h", "-t",
                                                                "PD,R,CG").stdout.strip():
                    time.sleep(0.5)
            except (subprocess.TimeoutExpired, OSError):
                pass
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            stop_process(proc, timeout=15)
        self.procs.clear()
        if self.munge_dir is not None:
            shutil.rmtree(self.munge_dir, ignore_errors=True)
            self.munge_dir = None
        if self._own_root and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
