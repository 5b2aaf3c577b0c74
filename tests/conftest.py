"""Shared fixtures: one real local run of .test/config.yaml in a copy of the workflow.

`test_run_dir` is session-scoped: the first test that asks for it runs the pipeline once, every
later test reuses the finished directory. Tests must not change its outputs; they may add files
of their own (e.g. results/report.html). Other runs in the session (tests/test_slurm.py) copy
the same `workflow_snapshot`, so their outputs can be compared byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = ".test/config.yaml"
# What a run needs: the Snakefile, the default config it loads first, the rules, scripts,
# schemas, captions and profiles, the conda env files the rules name (Snakemake records them even
# without --sdm conda), and the tiny config. results/, logs/ and .snakemake/ stay behind.
WORKFLOW_PATHS = ("Snakefile", "config.yaml", "workflow", "envs", ".test")


def copy_workflow(dest: Path, source: Path = REPO) -> Path:
    """Copy a workflow (not its results) from `source` into `dest`; return `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_PATHS:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, dest / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy2(src, dest / name)
        else:
            pytest.fail(f"{src} is missing: the workflow cannot be copied for a test run")
    return dest


def snakemake_env(base: dict | None = None) -> dict:
    """Environment for a Snakemake child: this interpreter's bin first (snakemake, python)."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("GMX_MAXBACKUP", "-1")
    return env


def run_snakemake(workdir: Path, *args: str, env: dict | None = None,
                  timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m snakemake ARGS` in `workdir`; on failure, fail the test with its output."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=snakemake_env(env), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        out = (err.stderr or b"")[-6000:]
        pytest.fail(f"`{' '.join(cmd)}` in {workdir} ran past {timeout:.0f} s:\n"
                    f"{out.decode(errors='replace') if isinstance(out, bytes) else out}")
    if check and proc.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` in {workdir} exited {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-8000:]}")
    return proc


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a dry run into {rule: count}."""
    counts, in_table = {}, False
    for line in dry_run_output.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
            if m and m.group(1) != "total":
                counts[m.group(1)] = int(m.group(2))
            elif line.strip().startswith("total"):
                break
    return counts


class JobCounts(dict):
    """{rule: count} of a dry run, with the dry run's stdout as `.output`."""

    def __init__(self, output: str):
        super().__init__(job_counts(output))
        self.output = output


@pytest.fixture
def dry_run_jobs(tmp_path):
    """`dry_run_jobs(workdir, *targets, override=None, configfile=TEST_CONFIG)`: dry-run
    `snakemake -n --cores 2 TARGETS --configfile CONFIGFILE [OVERRIDE]` in `workdir` and return
    its JobCounts ({rule: count}, stdout as `.output`). `override` is a config dict (a whole config
    or only the keys that change; Snakemake merges it over `configfile`), written as YAML outside
    `workdir`; `configfile=None` runs on the workflow's default config.yaml alone."""
    written = 0

    def dry_run(workdir: Path, *targets: str, override: dict | None = None,
                configfile: str | None = TEST_CONFIG) -> JobCounts:
        nonlocal written
        configs = [configfile] if configfile else []
        if override is not None:
            written += 1
            path = tmp_path / f"override{written}.yaml"
            path.write_text(yaml.safe_dump(override))
            configs.append(str(path))
        args = ["-n", "--cores", "2", *targets] + (["--configfile", *configs] if configs else [])
        return JobCounts(run_snakemake(workdir, *args).stdout)

    return dry_run


def checked_figure(make_figure, n_axes: int, folder: Path):
    """Build a figure with `make_figure()`, check that it is a Figure with `n_axes` axes, write it
    and a second build with evaluation.plotting.save_figure into `folder`, check that the two PNGs,
    and the two PDFs, are the same bytes, and return the first figure (closed) for inspection."""
    from matplotlib.figure import Figure

    from activediff.evaluation.plotting import save_figure

    fig = make_figure()
    assert isinstance(fig, Figure) and len(fig.axes) == n_axes, fig
    paths = [folder / f"{name}.png" for name in ("first", "second")]
    save_figure(fig, paths[0])
    save_figure(make_figure(), paths[1])
    for suffix in (".png", ".pdf"):
        first, second = (path.with_suffix(suffix).read_bytes() for path in paths)
        assert len(first) > 1000 and first == second, f"{suffix} bytes differ between two saves"
    return fig


@pytest.fixture(scope="session")
def workflow_snapshot(tmp_path_factory) -> Path:
    """The repository's workflow as it was when first asked for: every run in a test session
    copies this one, so runs compared with each other ran the same code and config."""
    return copy_workflow(tmp_path_factory.mktemp("workflow_snapshot") / "copy")


@pytest.fixture(scope="session")
def test_run_dir(tmp_path_factory, workflow_snapshot) -> Path:
    """A copy of the workflow in which `snakemake --cores 2 --configfile .test/config.yaml`
    has run to completion locally, with the local profile workflow/profiles/default."""
    workdir = copy_workflow(tmp_path_factory.mktemp("test_run") / "copy", workflow_snapshot)
    run_snakemake(workdir, "--workflow-profile", "workflow/profiles/default", "--cores", "2",
                  "--configfile", TEST_CONFIG)
    return workdir


def pytest_collection_modifyitems(session, config, items):
    """Run tests/test_slurm.py first: its cluster run then goes on in the background while the
    shared local run (`test_run_dir`) is made, instead of after it (saves minutes in CI)."""
    items.sort(key=lambda item: Path(str(item.fspath)).name != "test_slurm.py")


@pytest.fixture(scope="module")
def one_torch_thread():
    """For modules whose batches are tiny: extra intra-op threads only contend for the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class Interrupt(Exception):
    """Raised by `interrupting` to stop a training run in the middle, as a kill would."""


def interrupting(data_fn, after: int):
    """data_fn that raises Interrupt on its call number `after` + 1 (a training run draws one batch
    per iteration and member), so a run stops at a known iteration and can be resumed."""
    calls = {"n": 0}

    def failing(n, seed):
        calls["n"] += 1
        if calls["n"] > after:
            raise Interrupt
        return data_fn(n, seed)

    return failing
