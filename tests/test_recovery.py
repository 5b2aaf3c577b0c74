"""Chaos test: a .test run killed with SIGKILL at three points (a training job past its first
resume state, a GROMACS production chunk after a mid-chunk checkpoint, a sampling job), each time
recovered with the README's own command and nothing else, ends with the bytes of the
uninterrupted run (`test_run_dir`) in every output but the documented timing files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TEST_CONFIG, copy_workflow, run_snakemake, snakemake_env
from run_outputs import differing_outputs, output_files

# Two chains of the .test DAG: the whole MD chain, and one model's training and sampling.
MD_TARGET, MODEL_TARGET = "results/alanine/dihedrals.npz", "results/samples/diamond/cld/learned/seed0.npz"
RESUME_STATE = "results/models/diamond/cld/resume/last.pt"
SAMPLING_LOG = "logs/learned_sample/diamond_cld_seed0.log"
TIMEOUT = 600  # seconds per run


def readme_command() -> list[str]:
    """The README's first command after its set-up step, as this interpreter runs it."""
    text = (REPO / "README.md").read_text()
    first = re.search(r"```bash\n(.*?)\n", text).group(1)
    setup, command = first.split(" && ", 1)
    assert setup == "bash envs/setup.sh", first
    words = command.split()
    assert words[0] == ".venv/bin/snakemake", first
    return [sys.executable, "-m", "snakemake", *words[1:]]


def session_processes(sid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # fields 6 and 3: session id, state (zombie: dead)
            found.append(int(stat.parent.name))
    return found


def kill_session(sid: int) -> None:
    """SIGKILL every process of the session (Snakemake, its jobs, mdrun), as a power loss would."""
    deadline = time.monotonic() + 30
    while (pids := session_processes(sid)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    assert not session_processes(sid), f"processes of session {sid} survived SIGKILL"


def run_until(workdir: Path, args: list[str], trigger, out: Path) -> subprocess.Popen:
    """Start the README's command; SIGKILL its whole session once trigger() is true. Returns the
    ended process (returncode None's place: -9 when killed)."""
    with open(out, "w") as fh:
        proc = subprocess.Popen(readme_command() + args, cwd=workdir, env=snakemake_env(), stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if trigger is not None and trigger():
                kill_session(proc.pid)
                proc.wait()
                return proc
            time.sleep(0.01)
        if proc.poll() is None:
            pytest.fail(f"run ran past {TIMEOUT} s:\n{out.read_text()[-4000:]}")
    finally:
        if proc.poll() is None:
            kill_session(proc.pid)
    return proc


class Started:
    """True once `log` has been written during this run (a job of this run has started)."""

    def __init__(self, log: Path):
        self.log, self.since = log, time.time()

    def __call__(self) -> bool:
        return self.log.exists() and self.log.stat().st_mtime >= self.since


class MidChunkCheckpoint:
    """True once a production chunk has written a checkpoint mid-chunk and its trajectory has
    grown past it (the state the GROMACS resume must continue bit for bit)."""

    def __init__(self, workdir: Path):
        self.md, self.sizes = workdir / "results/alanine/md", {}

    def __call__(self) -> bool:
        for cpt in self.md.glob("replica*/chunk*.work/run.cpt"):
            xtc = cpt.with_suffix(".xtc")
            size = xtc.stat().st_size if xtc.exists() else 0
            if self.sizes.setdefault(cpt, size) < size:
                self.kill_point = cpt.parent
                return True
        return False


@pytest.mark.slow
def test_killed_runs_recover_with_the_readme_command(test_run_dir, workflow_snapshot, tmp_path):
    workdir = copy_workflow(tmp_path / "copy", workflow_snapshot)
    # A checkpoint every 0.12 s of wall time, so that a 2 ps chunk writes one mid-chunk; mdrun's
    # checkpoints do not change the trajectory (compared below against the run without them).
    override = tmp_path / "checkpoints.yaml"
    override.write_text(yaml.safe_dump({"alanine": {"checkpoint_minutes": 0.002}}))
    config = ["--configfile", TEST_CONFIG, str(override), "--"]
    mid_chunk = MidChunkCheckpoint(workdir)
    # One chain per run, so that each kill point is reached (the .test jobs take seconds).
    kills = [("training", [MODEL_TARGET], lambda: (workdir / RESUME_STATE).exists()),
             ("sampling", [MODEL_TARGET], Started(workdir / SAMPLING_LOG)),
             ("mdrun", [MD_TARGET], mid_chunk),
             ("recovery", [MD_TARGET, MODEL_TARGET], None)]
    outputs = []
    for name, targets, trigger in kills:
        out = tmp_path / f"{name}.out"
        if isinstance(trigger, Started):
            trigger.since = time.time()
        proc = run_until(workdir, config + targets, trigger, out)
        outputs.append(out.read_text())
        if trigger is None:
            assert proc.returncode == 0, f"the recovering run failed:\n{outputs[-1][-6000:]}"
        else:
            assert proc.returncode == -signal.SIGKILL, (
                f"the run ended before the {name} kill point:\n{outputs[-1][-4000:]}")
    # Each rerun removed the killed run's locks itself; the killed jobs resumed.
    for rerun in outputs[1:]:
        assert "activediff: removed" in rerun and "lock(s) left by a killed run" in rerun, rerun[-3000:]
        assert "--unlock" not in rerun and "IncompleteFilesException" not in rerun
    train_log = (workdir / "logs/train_extended/diamond_cld.log").read_text()
    assert "resuming from results/models/diamond/cld/resume/last.pt at iteration" in train_log
    chunk = mid_chunk.kill_point.name.removesuffix(".work")
    md_log = (workdir / f"logs/alanine_production/{mid_chunk.kill_point.parent.name}_{chunk}.log").read_text()
    assert "resuming from checkpoint" in md_log, md_log[-2000:]
    assert "Nothing to be done" in run_snakemake(workdir, "-n", *config, MD_TARGET, MODEL_TARGET).stdout

    made = set(output_files(workdir))
    assert {MD_TARGET, MODEL_TARGET} <= made
    differing = differing_outputs(workdir, test_run_dir, names=made)
    assert not differing, f"outputs differ from the uninterrupted run: {differing}"
