"""A price before the run: CPU-hours and GPU-hours per stage of a config, from the DAG and the
recorded benchmarks (issue 13 item 4).

    python -m activediff.cost --configfile workflow/configs/paper.yaml

The jobs are those of a from-scratch dry run (`snakemake -n --forceall`, so existing results do not
hide any). Each job is priced by the best source there is:
- MLP training (train_mlp, train_extended; one job trains every seed): seeds x iterations at the
  model-iterations per CPU second of benchmarks/results/train_mlp_cpu.json (the ensemble of the
  nearest recorded size; the single-model rate for one seed), and per GPU second of
  benchmarks/results/gpu_check_cuda.json when a GPU check has been recorded;
- every other job: the median CPU time of that rule's jobs in Snakemake's benchmark files of an
  earlier run (--measured, default results/benchmarks/{rule}/*.tsv; source "measured"), which
  prices another config's jobs at the measured config's per-job cost; failing that, the runtime
  the job declares to the scheduler (resources.runtime, minutes, times its threads), an upper bound
  with margin rather than a measurement (source "declared").
GPU-hours are given only where a CUDA benchmark records the rate ("n/a" otherwise).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks" / "results"
TRAINING_RULES = ("train_mlp", "train_extended")
STAGES = [  # (stage, rule-name pattern), first match wins
    ("toy training", r"^train_(mlp|extended)$"),
    ("Ising data", r"^ising_(data|validation)"),
    ("Ising models", r"ising"),
    ("alanine MD", r"^alanine_(structure|system|minimize|nvt|npt|production|dihedrals|chart)$"),
    ("alanine models", r"alanine"),
    ("exact-score sampling", r"^analytic_sample$"),
    ("learned sampling", r"^(learned_sample|sample_)"),
    ("metrics", r"metric|reference|tables?$"),
    ("diagnostics", r"respon|entropy|diagnos|fourier|speciation|score_variation|swissroll_measures"),
    ("claim map", r"^claim_map"),
    ("figures", r"^fig"),
    ("data and claims", r"^(toy_data|fidelity|parameter_sources|all)"),
]


@dataclass
class Job:
    rule: str
    wildcards: dict = field(default_factory=dict)
    threads: int = 1
    runtime_min: float = 0.0


def stage_of(rule: str) -> str:
    return next((stage for stage, pattern in STAGES if re.search(pattern, rule)), "other")


def parse_dry_run(text: str) -> list[Job]:
    """Jobs of a `snakemake -n` listing (rule, wildcards, threads, declared runtime)."""
    jobs: list[Job] = []
    for line in text.splitlines():
        head = re.match(r"^(?:local)?rule (\w+):$", line)
        if head:
            jobs.append(Job(head.group(1)))
            continue
        if not jobs or not line.startswith("    "):
            continue
        key, _, value = line.strip().partition(": ")
        if key == "wildcards":
            jobs[-1].wildcards = dict(item.split("=", 1) for item in value.split(", "))
        elif key == "threads":
            jobs[-1].threads = int(value)
        elif key == "resources":
            found = re.search(r"(?:^|, )runtime=([\d.]+)", value)
            jobs[-1].runtime_min = float(found.group(1)) if found else 0.0
    return jobs


def dag_jobs(configfile: str | None, workdir: Path = REPO) -> list[Job]:
    args = [sys.executable, "-m", "snakemake", "-n", "--forceall", "--cores", "1"]
    args += ["--configfile", configfile] if configfile else []
    proc = subprocess.run(args, cwd=workdir, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"dry run failed ({' '.join(args)}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return parse_dry_run(proc.stdout)


def merged_config(configfile: str | None, workdir: Path = REPO) -> dict:
    """config.yaml with --configfile merged over it (nested keys replaced one by one, as Snakemake)."""
    def merge(base, over):
        for key, value in over.items():
            base[key] = merge(base.get(key, {}), value) if isinstance(value, dict) and isinstance(base.get(key), dict) \
                else value
        return base

    config = yaml.safe_load((workdir / "config.yaml").read_text())
    if configfile:
        merge(config, yaml.safe_load((workdir / configfile).read_text()) or {})
    return config


def read_benchmark(name: str) -> dict | None:
    path = BENCHMARKS / name
    return json.loads(path.read_text()) if path.is_file() else None


def training_rate(bench: dict | None, members: int) -> tuple[float, str] | None:
    """Model-iterations per second for a bundle of `members` seeds from train_mlp_*.json."""
    if not bench:
        return None
    rates = bench.get("training_it_per_cpu_s") or {}
    sizes = {int(m.group(1)): v for k, v in rates.items() if (m := re.fullmatch(r"ensemble_(\d+)_median", k)) and v}
    if members > 1 and sizes:
        nearest = min(sizes, key=lambda m: (abs(m - members), -m))
        return float(sizes[nearest]), f"ensemble_{nearest}"
    if rates.get("ours_median"):
        return float(rates["ours_median"]), "single"
    return None


def gpu_training_rate(bench: dict | None) -> float | None:
    rates = (bench or {}).get("rates") or {}
    ensemble = [v for k, v in rates.items() if k.startswith("ensemble_") and k.endswith("_model_it_per_s")]
    return float(ensemble[0]) if ensemble else None


def measured_seconds(folder: Path) -> dict[str, float]:
    """Median CPU seconds per job of each rule in Snakemake benchmark files folder/{rule}/*.tsv."""
    out = {}
    for rule_dir in sorted(p for p in Path(folder).glob("*") if p.is_dir()):
        values = []
        for tsv in rule_dir.glob("*.tsv"):
            lines = tsv.read_text().splitlines()
            if len(lines) >= 2:
                row = dict(zip(lines[0].split("\t"), lines[1].split("\t")))
                try:
                    values.append(float(row.get("cpu_time", row.get("s"))))
                except (TypeError, ValueError):
                    pass
        if values:
            out[rule_dir.name] = float(sorted(values)[len(values) // 2])
    return out


def price(jobs: list[Job], config: dict, cpu_bench: dict | None, gpu_bench: dict | None,
          measured: dict[str, float] | None = None) -> list[dict]:
    """One row per stage: jobs, CPU-hours, GPU-hours (None: not measured) and the sources used."""
    training = config["training"]
    seeds = len(training["seeds"])
    extended = set(training.get("extended", {}).get("datasets", []))
    rows: dict[str, dict] = {}
    gpu_rate = gpu_training_rate(gpu_bench)
    for job in jobs:
        row = rows.setdefault(stage_of(job.rule), {"jobs": 0, "cpu_h": 0.0, "gpu_h": 0.0, "gpu_known": True,
                                                   "sources": set()})
        row["jobs"] += 1
        rate = training_rate(cpu_bench, seeds) if job.rule in TRAINING_RULES else None
        if rate:
            schedule = training["extended"]["checkpoints"] if job.wildcards.get("dataset") in extended \
                else training["checkpoints"]
            model_iterations = seeds * max(int(i) for i in schedule)
            row["cpu_h"] += model_iterations / rate[0] / 3600
            row["sources"].add(f"train_mlp_cpu.json {rate[1]}")
            if gpu_rate:
                row["gpu_h"] += model_iterations / gpu_rate / 3600
                row["sources"].add("gpu_check_cuda.json")
            else:
                row["gpu_known"] = False
        elif measured and job.rule in measured:
            row["cpu_h"] += measured[job.rule] / 3600
            row["sources"].add("measured")
            row["gpu_known"] = False
        else:
            row["cpu_h"] += job.runtime_min * job.threads / 60
            row["sources"].add("declared")
            row["gpu_known"] = False
    return [{"stage": stage, "jobs": r["jobs"], "cpu_hours": r["cpu_h"],
             "gpu_hours": r["gpu_h"] if r["gpu_known"] else None, "source": ", ".join(sorted(r["sources"]))}
            for stage, r in sorted(rows.items(), key=lambda kv: -kv[1]["cpu_h"])]


def format_table(rows: list[dict], title: str) -> str:
    total = {"stage": "total", "jobs": sum(r["jobs"] for r in rows), "cpu_hours": sum(r["cpu_hours"] for r in rows),
             "gpu_hours": None if any(r["gpu_hours"] is None for r in rows) else sum(r["gpu_hours"] for r in rows),
             "source": ""}
    lines = [title, f"{'stage':<22} {'jobs':>5} {'CPU-h':>9} {'GPU-h':>7}  source"]
    for r in rows + [total]:
        gpu = "n/a" if r["gpu_hours"] is None else f"{r['gpu_hours']:.3f}"
        lines.append(f"{r['stage']:<22} {r['jobs']:>5} {r['cpu_hours']:>9.3f} {gpu:>7}  {r['source']}")
    lines.append("declared: the jobs' own runtime resource (an upper bound); measured: median CPU time per job of "
                 "an earlier run; GPU-h n/a: no CUDA benchmark recorded for that stage")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activediff.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default=None, help="config merged over config.yaml (default: none)")
    parser.add_argument("--measured", default=str(REPO / "results" / "benchmarks"),
                        help="Snakemake benchmark files of an earlier run, {rule}/*.tsv (used where present)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args(argv)
    jobs = dag_jobs(args.configfile)
    rows = price(jobs, merged_config(args.configfile), read_benchmark("train_mlp_cpu.json"),
                 read_benchmark("gpu_check_cuda.json"), measured_seconds(Path(args.measured)))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows, f"cost of a from-scratch run of {args.configfile or 'config.yaml'} "
                                 f"({len(jobs)} jobs)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
