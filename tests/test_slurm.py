"""The SLURM profile, run for real: a slice of .test/config.yaml through `--executor slurm` on a
one-node SLURM cluster started on localhost (tests/slurm_cluster.py), compared with a local run.

The slice (SLURM_TARGETS) has every kind of job the profile treats differently: GPU training of
the toy MLPs and of the Ising U-Net, GPU sampling of the Ising models, CPU jobs (data, MCMC
validation, learned sampling) and a local rule (a figure). The whole .test DAG through SLURM
costs each of its ~130 jobs a Snakemake start inside the job; with the local run beside it on CI's
2 cores that took the local run past its 30-minute limit.

The run uses workflow/profiles/slurm/config.yaml itself, with only what this cluster needs
changed (partition name, short first-check delay, no retries); job states are polled with sacct
from the cluster's accounting database, the profile's default. It needs root and the Debian
packages in slurm_cluster.DEBIAN_PACKAGES (envs/setup.sh installs them); without them it fails,
saying so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TEST_CONFIG, copy_workflow, run_snakemake, snakemake_env
from run_outputs import differing_outputs, output_files
from slurm_cluster import PARTITION, ClusterUnavailable, SlurmCluster, stop_process

PROFILE = Path("workflow/profiles/slurm/config.yaml")
SLURM_RUN_TIMEOUT = 1800  # seconds, for the SLURM run and the local run beside it
# Seconds without a line from Snakemake while every job it submitted has ended: it has lost track
# of them (the plugin polls at least every 180 s). Fails the run long before SLURM_RUN_TIMEOUT.
STALL_SECONDS = 300
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
                "BOOT_FAIL", "DEADLINE", "PREEMPTED"}
# What the SLURM run makes (12 jobs): Fig A4 (toy data, train_mlp x 3 on the GPU, learned_sample
# x 3, the figure as a local rule) and one Ising model's samples (MCMC data, its validation,
# train_ising and sample_ising on the GPU).
SLURM_TARGETS = ("results/figures/figA4.png", "results/samples/ising_T2/passive/seed0.npz")


def slurm_profile() -> dict:
    return yaml.safe_load((REPO / PROFILE).read_text())


def write_test_profile(dest: Path) -> Path:
    """The real SLURM profile with what a one-node test cluster without accounting needs."""
    profile = slurm_profile()
    profile["default-resources"]["slurm_partition"] = PARTITION
    profile.update({
        # Jobs here take seconds: the first status check after 1 s, not the plugin's 40.
        "slurm-init-seconds-before-status-checks": 1,
        # Keep every job's SLURM log, as evidence and for debugging a failed test.
        "slurm-keep-successful-logs": True,
        # One machine, no network file system.
        "latency-wait": 5,
        # A failure shows at once instead of being retried.
        "retries": 0,
        "keep-going": False,
    })
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return dest


def gpu_rules(profile: dict) -> set[str]:
    return {rule for rule, res in (profile.get("set-resources") or {}).items()
            if res.get("gpu") or "gpu" in str(res.get("gres", ""))}


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    # 8 CPUs on a 2-core machine: each SLURM job spends seconds starting Snakemake and the
    # plugin polls every 1-11 s, so running more jobs at once shortens the test a lot.
    cluster = SlurmCluster(root=tmp_path_factory.mktemp("slurm"), cpus=max(8, os.cpu_count() or 1))
    try:
        cluster.start()
    except ClusterUnavailable as err:
        pytest.fail(f"cannot bring up the test SLURM cluster: {err}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def slurm_run(request, slurm_cluster, tmp_path_factory, workflow_snapshot):
    """Run .test/config.yaml through SLURM; return the work dir, Snakemake's output and the
    cluster's record of the jobs (kept for MinJobAge after they end) and the accounting
    database's (sacct).

    The SLURM run goes on in the background while the shared local run (`test_run_dir`) is
    made, if no test has made it yet (conftest.py orders these tests first): the SLURM run
    mostly waits on job start-up and status polls, so the two overlap well on 2 cores."""
    base = tmp_path_factory.mktemp("slurm_run")
    workdir = copy_workflow(base / "copy", workflow_snapshot)
    profile = write_test_profile(base / "profile")
    output = base / "snakemake.out"
    deadline = time.monotonic() + SLURM_RUN_TIMEOUT
    with open(output, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--workflow-profile", str(profile),
             "--configfile", TEST_CONFIG, "--", *SLURM_TARGETS],
            cwd=workdir, env=snakemake_env(slurm_cluster.env), stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        request.getfixturevalue("test_run_dir")
        returncode = wait_watching(proc, output, slurm_cluster.env, deadline)
    except (subprocess.TimeoutExpired, Stalled) as err:
        end_process(proc)
        log = output.read_text()
        queue = subprocess.run(["squeue", "-t", "all"], env=slurm_cluster.env,
                               capture_output=True, text=True, timeout=30).stdout
        why = (f"ran past {SLURM_RUN_TIMEOUT} s" if isinstance(err, subprocess.TimeoutExpired)
               else str(err))
        pytest.fail(f"the SLURM run {why}; squeue:\n{queue[-3000:]}\n{log[-6000:]}")
    except BaseException:
        end_process(proc)
        raise
    log = output.read_text()
    if returncode != 0:
        pytest.fail(f"the SLURM run exited {returncode} ({output}):\n{log[-8000:]}")
    table = subprocess.run(["scontrol", "show", "job", "--details", "--oneliner"],
                           env=slurm_cluster.env, capture_output=True, text=True, check=True,
                           timeout=30).stdout
    jobs = {}
    for line in table.splitlines():
        fields = dict(re.findall(r"(\S+?)=(\S*)", line))
        jobs[fields["JobId"]] = {"state": fields.get("JobState", ""),
                                 "tres": fields.get("TresPerJob", ""),
                                 "comment": fields.get("Comment", "")}
    # What sacct, Snakemake's status command, reads from the accounting database.
    accounted = subprocess.run(["sacct", "-X", "--parsable2", "--noheader", "--starttime",
                                "now-1days", "--format=JobIdRaw,State"], env=slurm_cluster.env,
                               capture_output=True, text=True, check=True, timeout=30).stdout
    return {"workdir": workdir, "log": log, "jobs": jobs,
            "accounting": dict(line.split("|", 1) for line in accounted.splitlines() if line),
            "slurmctld_log": slurm_cluster.slurmctld_log}


class Stalled(RuntimeError):
    """Snakemake stopped reporting although every job it submitted has ended."""


def wait_watching(proc: subprocess.Popen, output: Path, env: dict, deadline: float,
                  stall_seconds: float = STALL_SECONDS, poll: float = 15.0) -> int:
    """proc's exit code; raises Stalled when every submitted job has ended in SLURM and Snakemake
    printed nothing for `stall_seconds`, TimeoutExpired at the deadline."""
    size, quiet_since = -1, time.monotonic()
    while True:
        try:
            return proc.wait(timeout=max(0.1, min(poll, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
        log = output.read_text()
        if len(log) != size:
            size, quiet_since = len(log), time.monotonic()
            continue
        submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", log))
        if not submitted or time.monotonic() - quiet_since < stall_seconds:
            continue
        table = subprocess.run(["squeue", "-t", "all", "-h", "-o", "%i %T"], env=env,
                               capture_output=True, text=True, timeout=30).stdout
        states = dict(line.split() for line in table.splitlines() if line.strip())
        if all(states.get(job) in FINAL_STATES for job in submitted):
            raise Stalled(f"printed nothing for {stall_seconds:g} s after all {len(submitted)} submitted "
                          "jobs had ended: the slurm plugin lost track of them (a status round "
                          "whose every query failed drops its jobs)")


def end_process(proc: subprocess.Popen) -> None:
    """Stop the Snakemake run this test started (the cluster fixture then cancels its jobs)."""
    stop_process(proc, timeout=30)


@pytest.mark.slow
def test_every_cluster_job_went_through_slurm(slurm_run):
    log = slurm_run["log"]
    submitted = dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log))
    assert submitted, f"no job was submitted to SLURM:\n{log[-4000:]}"
    # Snakemake announces a job as `rule X:` (sent to SLURM) or `localrule X:` (run here).
    cluster_jobs = re.findall(r"^rule (\w+):$", log, flags=re.M)
    assert len(cluster_jobs) == len(submitted), (
        f"{len(cluster_jobs)} non-local jobs but {len(submitted)} SLURM submissions")
    for slurm_id in submitted.values():
        record = slurm_run["jobs"].get(slurm_id)
        assert record is not None, f"SLURM job {slurm_id} unknown to squeue"
        assert record["state"] == "COMPLETED", f"SLURM job {slurm_id}: {record}"
        assert slurm_run["accounting"].get(slurm_id) == "COMPLETED", (
            f"SLURM job {slurm_id} in sacct: {slurm_run['accounting'].get(slurm_id)}")
        assert f"_job_complete: JobId={slurm_id} WEXITSTATUS 0" in slurm_run["slurmctld_log"]


@pytest.mark.slow
def test_gpu_rules_got_a_gpu_from_slurm(slurm_run):
    """Rules the profile gives `gpu: 1` asked SLURM for a GPU (the test node has one)."""
    rules = gpu_rules(slurm_profile())
    by_rule = {}
    for record in slurm_run["jobs"].values():
        match = re.match(r"rule_(\w+?)(_wildcards_.*)?$", record["comment"])
        assert match, f"unexpected SLURM job comment {record['comment']!r}"
        by_rule.setdefault(match.group(1), []).append(record)
    assert rules & set(by_rule), (
        f"no job of the GPU rules {sorted(rules)} ran in the .test run: the GPU request path "
        "is untested (add training to .test/config.yaml)")
    for rule in rules & set(by_rule):
        for record in by_rule[rule]:
            assert "gpu" in record["tres"], f"{rule}: SLURM job without a GPU request: {record}"
    for rule in set(by_rule) - rules:
        for record in by_rule[rule]:
            assert "gpu" not in record["tres"], f"{rule}: unexpected GPU request: {record}"


@pytest.mark.slow
def test_slurm_outputs_equal_local_outputs(slurm_run, test_run_dir):
    made = output_files(slurm_run["workdir"])
    missing = [t for t in SLURM_TARGETS if t not in made]
    assert not missing, f"the SLURM run did not make {missing}"
    differing = differing_outputs(slurm_run["workdir"], test_run_dir, names=set(made))
    assert not differing, f"outputs differ between the SLURM and the local run: {differing}"


def declared_localrules() -> dict[str, set[str]]:
    """Rule names listed in `localrules:` blocks, per file (Snakefile and workflow/rules)."""
    found = {}
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        for block in re.findall(r"^localrules:(.*?)(?=^\S|\Z)", path.read_text(), re.M | re.S):
            names = re.sub(r"#.*", "", block).replace(",", " ").split()
            found.setdefault(path.name, set()).update(names)
    return found


def test_profile_and_localrules_name_existing_rules():
    """set-resources in the SLURM profile and `localrules:` must name rules that exist: Snakemake
    ignores unknown names, so a renamed rule would silently lose its GPU request, or a figure
    would become a cluster job."""
    names = set(run_snakemake(REPO, "--list-rules", "--configfile", TEST_CONFIG).stdout.split())
    unknown = set(slurm_profile().get("set-resources") or {}) - names
    assert not unknown, f"{PROFILE}: set-resources names unknown rules {sorted(unknown)}"
    local = declared_localrules()
    assert local, "no localrules declared: figures and the report would be sent to SLURM"
    for file, declared in local.items():
        assert not declared - names, f"{file}: localrules names unknown rules {declared - names}"
