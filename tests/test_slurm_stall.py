"""The SLURM test's stall watch (test_slurm.wait_watching) on a real cluster of its own: a
"Snakemake" that submitted a job which has ended and then prints nothing is reported as stalled,
and one that exits is waited for normally."""

import subprocess
import sys
import time

import pytest

from slurm_cluster import stop_process
from test_slurm import Stalled, slurm_cluster, wait_watching  # noqa: F401 (a fixture: this module's own cluster)


def ended_job(cluster) -> str:
    job = subprocess.run(["sbatch", "--parsable", "--wrap", "true", "-o", "/dev/null"], env=cluster.env,
                         capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    state = lambda: subprocess.run(["squeue", "-t", "all", "-h", "-j", job, "-o", "%T"],  # noqa: E731
                                   env=cluster.env, capture_output=True, text=True, timeout=30).stdout.strip()
    cluster.wait_for(lambda: state() == "COMPLETED", 60, f"probe job {job} to complete")
    return job


def test_silence_after_every_job_ended_is_a_stall(slurm_cluster, tmp_path):
    output = tmp_path / "snakemake.out"
    output.write_text(f"Job 0 has been submitted with SLURM jobid {ended_job(slurm_cluster)} (log: x).\n")
    silent = subprocess.Popen(["sleep", "600"])
    try:
        with pytest.raises(Stalled, match="lost track"):
            wait_watching(silent, output, slurm_cluster.env, time.monotonic() + 120, stall_seconds=1, poll=0.3)
    finally:
        stop_process(silent, timeout=5)


def test_a_run_that_ends_is_not_a_stall(slurm_cluster, tmp_path):
    output = tmp_path / "snakemake.out"
    output.write_text(f"Job 0 has been submitted with SLURM jobid {ended_job(slurm_cluster)} (log: x).\n")
    quick = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    assert wait_watching(quick, output, slurm_cluster.env, time.monotonic() + 120, stall_seconds=30, poll=0.3) == 0
