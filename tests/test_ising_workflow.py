"""Ising rules in the real .test run: outputs, the validation gate, and DAG-precise reruns."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from activediff.ising.mcmc import load_lattices

from conftest import TEST_CONFIG, copy_workflow, run_snakemake

pytestmark = pytest.mark.slow


def test_ising_outputs_of_test_run(test_run_dir):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())["ising"]
    for T in cfg["temperatures"]:
        folder = test_run_dir / f"results/ising/T{float(T):g}"
        lattices = load_lattices(folder / "lattices.npz", L=cfg["L"])
        assert lattices.shape == (cfg["n_samples"], cfg["L"], cfg["L"])
        report = json.loads((folder / "validation.json").read_text())
        assert report["passed"] and report["T"] == T and report["n_samples"] == cfg["n_samples"]
        assert np.isclose(report["energy_per_spin"]["exact"], report["energy_per_spin"]["mean"], atol=0.05)
    for ext in ("png", "pdf"):
        assert (test_run_dir / f"results/figures/ising_data.{ext}").stat().st_size > 1000


def _overlay(workdir, **ising):
    cfg = yaml.safe_load((workdir / TEST_CONFIG).read_text())
    cfg["ising"].update(ising)
    (workdir / "overlay.yaml").write_text(yaml.safe_dump({"ising": cfg["ising"]}))
    return "overlay.yaml"


def test_failed_validation_stops_the_workflow(tmp_path):
    workdir = copy_workflow(tmp_path / "copy")
    # hot start quenched to T = 1.5 with 2 sweeps of burn-in: domains left, energy far too high
    overlay = _overlay(workdir, temperatures=[1.5], init="random", burn_in_sweeps=2, thinning_sweeps=1)
    target = "results/ising/T1.5/validation.json"
    proc = run_snakemake(workdir, target, "--cores", "2", "--configfile", TEST_CONFIG, overlay, check=False)
    assert proc.returncode != 0
    assert (workdir / "results/ising/T1.5/lattices.npz").exists()
    assert not (workdir / target).exists()
    log = (workdir / "logs/ising_validation/T1.5.log").read_text()
    assert "results/ising/T1.5/lattices.npz: Ising data at T = 1.5, L = 16 fail validation: <E>/N" in log
    # on_validation_failure: record keeps going and says so in validation.json
    overlay = _overlay(workdir, temperatures=[1.5], init="random", burn_in_sweeps=2, thinning_sweeps=1,
                       on_validation_failure="record")
    run_snakemake(workdir, target, "--cores", "2", "--configfile", TEST_CONFIG, overlay)
    assert json.loads((workdir / target).read_text())["passed"] is False


def test_validation_setting_reruns_only_validation_and_figure(test_run_dir, dry_run_jobs):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    counts = dry_run_jobs(test_run_dir, override={"ising": dict(cfg["ising"], validation_sigma=5.0)})
    n_temperatures = len(cfg["ising"]["temperatures"])
    assert counts.get("ising_data", 0) == 0
    assert counts["ising_validation"] == n_temperatures and counts["ising_data_figure"] == 1
