"""activediff.cost: the price table prints for the default and paper configs; the dry-run parser,
the training price (seeds x iterations at the recorded ensemble rate) and measured job times."""

import subprocess
import sys

import pytest

from activediff.cost import REPO, Job, measured_seconds, parse_dry_run, price, stage_of, training_rate


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
    assert "train_mlp_cpu.json" in toy  # priced from the recorded benchmark, not the declared runtime


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
    rows = {r["stage"]: r for r in price(jobs, config, bench, gpu, measured={"ising_data": 90.0})}
    assert rows["toy training"]["gpu_hours"] == pytest.approx(5 * 9000 / 9000.0 / 3600)
    assert rows["Ising data"]["cpu_hours"] == pytest.approx(90.0 / 3600) and rows["Ising data"]["source"] == "measured"


def test_measured_seconds_reads_snakemake_benchmark_files(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "learned_sample").mkdir()
    for i, cpu in enumerate((10.0, 30.0, 20.0)):
        (tmp_path / "learned_sample" / f"job{i}.tsv").write_text(header + f"12.0\t0:00:12\t1\t1\t1\t1\t0\t0\t90\t{cpu}\n")
    assert measured_seconds(tmp_path) == {"learned_sample": 20.0}
    assert measured_seconds(tmp_path / "missing") == {}
