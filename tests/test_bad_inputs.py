"""Bad-input corpus, through the real workflow: in a copy of the finished .test run, one input is
spoiled and the job reading it is rerun. Each case must stop that job with its one clear line as
the last line of the job's log (no traceback), and leave no output that looks finished."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from activediff.io import load_npz, save_npz
from activediff.training.checkpoints import read_checkpoint, save_checkpoint

from conftest import TEST_CONFIG, run_snakemake

PASSIVE = Path("results/models/diamond/passive/seed0")
SAMPLES = "results/samples/diamond/passive/learned/seed0.npz"
SAMPLE_LOG = "logs/learned_sample/diamond_passive_seed0.log"


def foreign_checkpoint(work: Path) -> None:
    """A CLD model's checkpoints copied over the passive model's (the case of issue 14)."""
    for ckpt in (work / PASSIVE).glob("ckpt_*.pt"):
        shutil.copyfile(work / "results/models/diamond/cld/seed0" / ckpt.name, ckpt)


def nan_weights(work: Path) -> None:
    for ckpt in sorted((work / PASSIVE).glob("ckpt_*.pt")):
        payload = read_checkpoint(ckpt)
        payload["ema"]["layers.0.weight"][0, 0] = float("nan")
        save_checkpoint(payload, ckpt)


def truncated_checkpoint(work: Path) -> None:
    for ckpt in (work / PASSIVE).glob("ckpt_*.pt"):
        ckpt.write_bytes(ckpt.read_bytes()[:1000])


def nan_data_rows(work: Path) -> None:
    path = work / "results/data/diamond.npz"
    data = load_npz(path, ("x",))
    x = data["x"].copy()
    x[:: 20] = np.nan  # 5% of the rows
    save_npz(path, **{**data, "x": x})


CASES = {
    "foreign_checkpoint": (foreign_checkpoint, SAMPLES, SAMPLE_LOG,
                           r"ckpt_\d+\.pt: checkpoint of another model: process 'cld' \(expected 'passive'\)"),
    "nan_weights": (nan_weights, SAMPLES, SAMPLE_LOG,
                    r"ckpt_\d+\.pt: non-finite EMA weight layers\.0\.weight\[0, 0\] = nan \(iteration \d+\)"),
    "truncated_checkpoint": (truncated_checkpoint, SAMPLES, SAMPLE_LOG,
                             r"ckpt_\d+\.pt: not a readable training checkpoint"),
    "nan_data_rows": (nan_data_rows, "results/metrics/learned/diamond/passive/seed0.csv",
                      "logs/learned_metrics/diamond_passive_seed0.log",
                      r"results/data/diamond\.npz: \d+ of \d+ rows are not finite \(first: row 0\)"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_stops_its_job_with_one_line(test_run_dir, tmp_path, case):
    spoil, target, log, message = CASES[case]
    work = tmp_path / "copy"
    shutil.copytree(test_run_dir, work, symlinks=True)  # keeps mtimes: the copy is up to date
    spoil(work)
    proc = run_snakemake(work, "--cores", "1", "--configfile", TEST_CONFIG, "--", target, check=False)
    assert proc.returncode != 0, f"{case}: the job succeeded on bad input"
    lines = (work / log).read_text().strip().splitlines()
    assert lines and "Traceback" not in "\n".join(lines), "\n".join(lines[-20:])
    assert re.fullmatch(f"InputError: .*{message}.*", lines[-1]), lines[-1]
    # No finished-looking output: the target is gone (Snakemake removes a failed job's outputs)
    # and no temporary file of an atomic write is left beside it.
    assert not (work / target).exists()
    assert not list((work / target).parent.glob(f".{Path(target).name}*"))
