"""The workflow itself: lint, dry runs of the default and paper configs, the real .test run,
config validation, and that a changed config value reruns only the jobs that depend on it."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import yaml

from conftest import REPO, TEST_CONFIG, copy_workflow, run_snakemake

pytestmark = pytest.mark.slow


def test_lint_is_clean():
    proc = run_snakemake(REPO, "--lint", "--cores", "1", check=False)
    text = proc.stdout + proc.stderr
    assert "Lints for" not in text, text[-4000:]
    assert proc.returncode == 0, text[-4000:]


@pytest.mark.parametrize("configfile", [None, "workflow/configs/paper.yaml", TEST_CONFIG])
def test_dry_run_builds_the_dag(tmp_path, dry_run_jobs, configfile):
    workdir = copy_workflow(tmp_path / "copy")
    counts = dry_run_jobs(workdir, configfile=configfile)
    assert counts.get("all") == 1
    assert counts.get("analytic_sample", 0) >= 2


def job_settings(dry_run_output: str) -> list[tuple[str, int, int]]:
    """(rule, priority, threads) of every job a dry run lists (absent lines mean 0 and 1)."""
    jobs = []
    for block in re.split(r"^(?:local)?rule (?=\w+:$)", dry_run_output, flags=re.M)[1:]:
        rule = block.split(":", 1)[0]
        priority = re.search(r"^\s+priority: (\d+)$", block, flags=re.M)
        threads = re.search(r"^\s+threads: (\d+)$", block, flags=re.M)
        jobs.append((rule, int(priority.group(1)) if priority else 0, int(threads.group(1)) if threads else 1))
    return jobs


def test_default_config_schedules_the_serial_chains_first(tmp_path, dry_run_jobs):
    """On the laptop config every job takes one thread (a job asking for n waits until n cores are
    idle at once, which 2 cores busy with one-thread jobs reach only at the end), and the MD chain
    and Ising data outrank the long jobs, which outrank everything else."""
    workdir = copy_workflow(tmp_path / "copy")
    counts = dry_run_jobs(workdir, configfile=None)
    jobs = job_settings(counts.output)
    assert len(jobs) == sum(counts.values())
    assert [job for job in jobs if job[2] != 1] == []
    priority = {rule: p for rule, p, _ in jobs}
    chains = ["alanine_minimize", "alanine_nvt", "alanine_npt", "alanine_production", "ising_data"]
    long_jobs = ["train_extended", "train_ising", "sample_ising"]
    assert min(priority[r] for r in chains) > max(priority[r] for r in long_jobs)
    assert min(priority[r] for r in long_jobs) > max(priority[r] for r in ("train_mlp", "learned_sample"))


def test_bad_config_fails_naming_the_key(tmp_path):
    workdir = copy_workflow(tmp_path / "copy")
    bad = yaml.safe_load((workdir / "config.yaml").read_text())
    bad["analytic"]["dt_physical"] = ["fast"]
    (workdir / "bad.yaml").write_text(yaml.safe_dump(bad))
    proc = run_snakemake(workdir, "-n", "--configfile", "bad.yaml", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "fast" in text and "dt_physical" in text
    bad = yaml.safe_load((workdir / "config.yaml").read_text())
    bad["analytic"]["n_sample"] = 10  # typo of n_samples
    (workdir / "bad.yaml").write_text(yaml.safe_dump(bad))
    proc = run_snakemake(workdir, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0 and "n_sample" in proc.stdout + proc.stderr


def test_extended_schedule_shorter_than_the_main_one_is_refused(tmp_path):
    """A config that raises training.checkpoints must raise training.extended too (or empty it):
    otherwise the 'extended' sets silently train less than the others (as paper.yaml once did)."""
    workdir = copy_workflow(tmp_path / "copy")
    (workdir / "longer.yaml").write_text(yaml.safe_dump({"training": {"checkpoints": [1000, 100000]}}))
    proc = run_snakemake(workdir, "-n", "--configfile", "longer.yaml", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "training.extended.checkpoints (to 20000) end before training.checkpoints" in text
    paper = yaml.safe_load((REPO / "workflow" / "configs" / "paper.yaml").read_text())["training"]
    assert paper["extended"]["datasets"] == []  # every set on the 1e6 schedule


def test_test_config_runs_end_to_end(test_run_dir):
    test_cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    for fig in ["fig2a", "figA1", "fig2a_metrics", "figA6", "figA8",
                "fig2b", "figA2", "figA4", "fig2b_metrics", "sampler_comparison"]:
        for ext in ("png", "pdf"):
            path = test_run_dir / f"results/figures/{fig}.{ext}"
            assert path.stat().st_size > 1000, path
    import pandas as pd

    table = pd.read_csv(test_run_dir / "results/metrics/analytic_em.csv")
    n_dt = len(test_cfg["analytic"]["dt_physical"])
    assert len(table) == 2 * 3 * n_dt
    assert np.isfinite(table[["kl", "kl_unfenced", "bhattacharyya", "sliced_w2", "mmd2"]].to_numpy()).all()
    assert set(table["convention"]) == {"authors_analytic"} and np.allclose(table["dt"] * 4, table["dt_phys"])
    assert (table["kl_se"] > 0).all()
    learned = pd.read_csv(test_run_dir / "results/metrics/learned.csv")
    seeds = len(test_cfg["training"]["seeds"])
    assert (learned["n_seeds"] == seeds).all()
    assert set(learned["sampler"]) == {"learned_em", "learned_ode", "learned_split"}
    assert set(learned["convention"]) == {"authors_nn, eps 0.001", "authors_analytic"}  # the second row
    assert learned[["kl", "kl_unfenced"]].notna().all().all()
    final = learned.groupby("dataset")["iters"].max()  # each set's own schedule (training.extended)
    for ds, last in final.items():
        schedule = (test_cfg["training"]["extended"]["checkpoints"] if ds in test_cfg["training"]["extended"]["datasets"]
                    else test_cfg["training"]["checkpoints"])
        assert last == max(schedule), ds
    assert final.nunique() == 2
    gap = pd.read_csv(test_run_dir / "results/metrics/learned_vs_exact.csv")
    assert set(gap["dt_phys"]) == set(test_cfg["learned"]["dt_physical"]) & set(test_cfg["analytic"]["dt_physical"])
    claims = pd.read_csv(test_run_dir / "results/fidelity.csv")
    assert {"claim", "kind", "conditions", "value", "stderr", "dof", "test", "verdict"} <= set(claims.columns)
    assert set(claims["verdict"]) <= {"reproduced", "contradicted", "inconclusive", "not measured here"}
    for claim in ("active better than passive at large step sizes (exact score)",
                  "comparable at small step sizes, both reproduce the target (exact score)",
                  "final denoising changes passive samples but not active ones",
                  "the active score varies more slowly along diffusion time",
                  "entropy production along generation lower for active noise"):
        assert claim in set(claims["claim"]), claim
    assert claims["claim"].str.contains("Swiss rolls").any()  # measured, or 'not measured here' without a roll set
    assert set(claims.loc[claims["claim"] == "active speciates earlier in generation", "kind"]) == {"derived",
                                                                                                   "evidence"}
    sources = pd.read_csv(test_run_dir / "results/claims/parameter_sources.csv")
    assert (sources["value"].notna()).all() and "processes.active.eta0" in set(sources["key"])


def test_up_to_date_tree_has_nothing_to_do(test_run_dir):
    proc = run_snakemake(test_run_dir, "-n", "--cores", "2", "--configfile", TEST_CONFIG)
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-3000:]


def test_changing_one_dt_reruns_only_its_dependents(test_run_dir, dry_run_jobs):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    old = cfg["analytic"]["dt_physical"]
    cfg["analytic"]["dt_physical"] = old[:-1] + [0.05]
    counts = dry_run_jobs(test_run_dir, override=cfg)
    n_sets = len(cfg["analytic"]["datasets"]) * len(cfg["analytic"]["sdes"])
    # The learned tables depend on the exact-score table (learned_vs_exact.csv), so they rerun too.
    expected = {"analytic_sample": n_sets, "sample_metrics": n_sets, "analytic_metrics_table": 1,
                "fig_analytic_scatter": 2, "fig_analytic_metrics": 1, "fidelity_analytic": 1, "fidelity": 1,
                "learned_tables": 1, "fidelity_learned": 1, "fig_learned_metrics": 1, "all": 1,
                "parameter_sources": 1}  # it records analytic.dt_physical
    assert counts == expected


def test_moving_a_set_off_the_extended_schedule_retrains_only_that_set(test_run_dir, dry_run_jobs):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    extended = cfg["training"]["extended"]
    (moved,) = extended["datasets"]
    counts = dry_run_jobs(test_run_dir,
                          override={"training": dict(cfg["training"], extended=dict(extended, datasets=[]))})
    n_bundles = len(cfg["learned"].get("sdes", ["passive", "active", "cld"]))  # one job trains every seed
    assert counts["train_mlp"] == n_bundles and "train_extended" not in counts
    trained = {m for m in re.findall(r"results/models/(\w+)/\w+/seed\d+/train_log\.csv", counts.output)}
    assert trained == {moved}
