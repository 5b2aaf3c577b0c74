"""activediff.cost: the price table prints for the default and paper configs; the dry-run parser,
the training price (seeds x iterations at a measured run's or the benchmark's rate), and the record
of a finished run (core-seconds: wall time from Snakemake's benchmark files or its log, times the
threads its log names)."""

import subprocess
import sys

import pytest
import yaml

from activediff.cost import (REPO, load_measured, measured_seconds, parse_dry_run, price, record_run, stage_of,
                             training_rate)


@pytest.mark.parametrize("configfile", [None, "workflow/configs/paper.yaml"])
def test_cost_table_prints_for_the_default_and_paper_configs(configfile):
    args = [sys.executable, "-m", "activediff.cost"] + (["--configfile", configfile] if configfile else [])
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("cost of a from-scratch run of") and lines[1].split()[:4] == ["stage", "jobs", "CPU-h",
                                                                                             "GPU-h"]
    rows = {line.split()[0]: line.split() for line in lines[2:] if line and not line.startswith("declared")}
    assert "total" in rows and float(rows["total"][2]) > 0
    toy = next(line for line in lines if line.startswith("toy training"))
    assert toy.endswith(("measured", "log wall"))  # priced from the committed record of a default run
    if configfile is None:  # every rule of the default DAG was measured: nothing priced by its declared runtime
        assert "declared" not in proc.stdout.split("\nCPU-h:")[0]


DRY_RUN = """
rule train_mlp:
    output: results/models/diamond/active/seed0/ckpt_1000.pt
    wildcards: dataset=diamond, sde=active
    resources: tmpdir=/tmp, runtime=30, gpu=0, mem_mb=2000
rule ising_data:
    wildcards: T=2.0
    threads: 2
    resources: tmpdir=/tmp, runtime=26, gpu=0, mem_mb=1040
localrule all:
    input: x
"""


def test_parse_and_price():
    jobs = parse_dry_run(DRY_RUN)
    assert [j.rule for j in jobs] == ["train_mlp", "ising_data", "all"]
    assert jobs[0].wildcards == {"dataset": "diamond", "sde": "active"} and jobs[1].threads == 2
    assert jobs[1].runtime_min == 26 and stage_of("train_extended") == "toy training"
    config = {"training": {"seeds": [0, 1, 2, 3, 4], "checkpoints": [1000, 2000],
                           "extended": {"datasets": ["diamond"], "checkpoints": [5000, 9000]}}}
    bench = {"training_it_per_cpu_s": {"ours_median": 300.0, "ensemble_3_median": 400.0, "ensemble_5_median": 450.0,
                                       "ensemble_10_median": 500.0}}
    assert training_rate(bench, 5) == (450.0, "ensemble_5") and training_rate(bench, 1) == (300.0, "single")
    assert training_rate(bench, 4) == (450.0, "ensemble_5")  # ties go to the larger ensemble
    rows = {r["stage"]: r for r in price(jobs, config, bench, None)}
    assert rows["toy training"]["cpu_hours"] == pytest.approx(5 * 9000 / 450.0 / 3600)  # extended schedule
    assert rows["toy training"]["gpu_hours"] is None
    assert rows["Ising data"]["cpu_hours"] == pytest.approx(26 * 2 / 60)
    gpu = {"rates": {"ensemble_5_model_it_per_s": 9000.0}}
    record = {"rules": {"ising_data": {"jobs": 2, "threads": 2, "core_s": 180.0, "source": "benchmark"},
                        "train_mlp": {"jobs": 1, "threads": 1, "core_s": 90.0, "source": "benchmark",
                                      "model_iterations": 9000}}}
    rows = {r["stage"]: r for r in price(jobs, config, bench, gpu, measured=record)}
    assert rows["toy training"]["gpu_hours"] == pytest.approx(5 * 9000 / 9000.0 / 3600)
    assert rows["toy training"]["cpu_hours"] == pytest.approx(5 * 9000 * 90.0 / 9000 / 3600)  # the run's rate
    assert rows["Ising data"]["cpu_hours"] == pytest.approx(90.0 / 3600) and rows["Ising data"]["source"] == "measured"
    record["rules"]["ising_data"]["work"] = 10000.0  # measured with 10,000 lattices; priced at 25,000
    rows = {r["stage"]: r for r in price(jobs, dict(config, ising={"n_samples": 25000}), bench, None, measured=record)}
    assert rows["Ising data"]["cpu_hours"] == pytest.approx(2.5 * 90.0 / 3600)
    del record["rules"]["ising_data"]["work"]
    record["rules"]["ising_data"]["source"] = "log"  # no benchmark file: the log's wall time
    rows = {r["stage"]: r for r in price(jobs, config, bench, None, measured=record)}
    assert rows["Ising data"]["cpu_hours"] == pytest.approx(90.0 / 3600) and rows["Ising data"]["source"] == "log wall"


LOG = """Job stats:
[Mon Dec  7 03:08:59 2026]
localrule train_mlp:
    output: results/models/x.pt
    jobid: 7
    wildcards: dataset=diamond, sde=active
[Mon Dec  7 03:09:05 2026]
rule learned_metrics:
    jobid: 8
    threads: 2
[Mon Dec  7 03:10:08 2026]
Finished jobid: 7 (Rule: train_mlp)
[Mon Dec  7 03:10:10 2026]
Finished jobid: 8 (Rule: learned_metrics)
"""


def test_record_of_a_finished_run(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "results" / "benchmarks" / "train_mlp").mkdir(parents=True)
    (tmp_path / "results" / "benchmarks" / "train_mlp" / "diamond_active.tsv").write_text(
        header + "66.0\t0:01:06\t1\t1\t1\t1\t0\t0\t90\t60.5\n")
    (tmp_path / ".snakemake" / "log").mkdir(parents=True)
    (tmp_path / ".snakemake" / "log" / "2026-12-07T030855.snakemake.log").write_text(LOG)
    (tmp_path / ".snakemake" / "log" / "2026-12-07T050000.snakemake.log").write_text("Nothing to be done.\n")
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text())
    record = record_run(tmp_path)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    training, metrics = config["training"], config["metrics"]
    work = len(training["seeds"]) * max(training["checkpoints"])
    # the benchmark's wall time, not its cpu_time (Snakemake's last sample can be 30 s before the end)
    assert record["rules"] == {"train_mlp": {"jobs": 1, "threads": 1, "core_s": 66.0, "source": "benchmark",
                                             "model_iterations": work},
                               "learned_metrics": {"jobs": 1, "threads": 2, "core_s": 130.0, "source": "log",
                                                   "work": float(metrics["n_eval"] * metrics["n_chunks"])}}
    assert measured_seconds(record) == {"train_mlp": (66.0, "measured"), "learned_metrics": (130.0, "log wall")}
    assert record["started"] == "2026-12-07T03:08:59" and record["wall_minutes"] == 1.2  # 03:08:59 to 03:10:10
    assert load_measured(tmp_path)["rules"] == record["rules"] and record["commit"] is None  # not a git checkout
    assert load_measured(tmp_path / "missing") == {"rules": {}}
