"""Stale Snakemake locks of a killed run, removed so that rerunning the same command recovers.

Snakemake locks the output files of a run in .snakemake/locks/ and removes the locks when it
exits; a run killed with SIGKILL (or a power loss) leaves them, and every later run stops with
"Directory cannot be locked" until `snakemake --unlock`. The Snakefile records the process that
holds the locks (`record_owner`, at the start of a run; `forget_owner` when it ends) and, before a
new run locks, removes the locks only when that recorded process is certainly gone
(`clear_stale_locks`): a run whose jobs ran on this machine (not a cluster run: its jobs may
still be queued), on this host, and either another boot or no live process with that pid and
start time. Locks of a live run, of a cluster run, of a run on another host (a shared file
system) or of a run that recorded no owner are left alone, and Snakemake's own message applies.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

OWNER = "activediff-run-owner.json"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> int | None:
    """Start time of process `pid` in clock ticks since boot (/proc/pid/stat field 22), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])  # fields after the command name start at field 3


def this_process() -> dict:
    pid = os.getpid()
    return {"host": socket.gethostname(), "boot_id": _boot_id(), "pid": pid, "start": _start_ticks(pid)}


def record_owner(snakemake_dir: str | Path, local: bool) -> None:
    """Record this process as the holder of the run's locks; `local`: its jobs run on this machine."""
    folder = Path(snakemake_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{OWNER}.{os.getpid()}"
    tmp.write_text(json.dumps(dict(this_process(), local=bool(local))))
    tmp.replace(folder / OWNER)


def forget_owner(snakemake_dir: str | Path) -> None:
    path = Path(snakemake_dir) / OWNER
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def owner_is_gone(owner: dict) -> bool:
    """True only when the recorded process certainly no longer runs, nor any job it started."""
    if owner.get("local") is not True or owner.get("host") != socket.gethostname():
        return False
    if owner.get("boot_id") and owner.get("boot_id") != _boot_id():
        return True
    start = _start_ticks(int(owner["pid"]))
    return start is None or start != owner.get("start")


def clear_stale_locks(snakemake_dir: str | Path) -> str | None:
    """Remove the locks of a killed run (see the module docstring); return a line saying so, or
    None when nothing was removed."""
    folder = Path(snakemake_dir)
    locks = sorted((folder / "locks").glob("*.lock"))
    owner_path = folder / OWNER
    if not locks or not owner_path.is_file():
        return None
    try:
        owner = json.loads(owner_path.read_text())
        gone = owner_is_gone(owner)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not gone:
        return None
    for lock in locks:
        lock.unlink(missing_ok=True)
    owner_path.unlink(missing_ok=True)
    return f"activediff: removed {len(locks)} lock(s) left by a killed run (pid {owner['pid']} on {owner['host']})"
