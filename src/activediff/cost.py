"""A price before the run: CPU-hours and GPU-hours per stage of a config, from the DAG and the
recorded benchmarks (issue 13 item 4).

    python -m activediff.cost --configfile workflow/configs/paper.yaml

The jobs are those of a from-scratch dry run (`snakemake -n --forceall`, so existing results do not
hide any). Each job is priced in core-seconds held (wall time x threads: what a scheduler bills and
what fills the cores of a run) by the best source there is, from a measured run (--measured: a
finished run's directory, run with its own config.yaml, or a record of one written by --record;
default: the committed record of a from-scratch default run,
benchmarks/results/pipeline_default_cpu.json, written by `--record RUN_DIR`):
- MLP training (train_mlp, train_extended; one job trains every seed): seeds x iterations at the
  core-seconds per model-iteration that rule took in the measured run ("measured"); without one,
  at the model-iterations per CPU second of benchmarks/results/train_mlp_cpu.json (the ensemble of
  the nearest recorded size; the single-model rate for one seed), a loop without the pipeline's
  checkpoints and logs that runs ~1.5x faster; per GPU second of
  benchmarks/results/gpu_check_cuda.json when a GPU check has been recorded;
- every other job: the mean core-seconds of that rule's jobs in the measured run ("measured": the
  wall time `s` of Snakemake's benchmark files x the job's threads; "log wall": the start and end
  stamps of the run's log, for rules without a benchmark file); another config's jobs at that cost
  times the ratio of the config values the rule's work grows with (WORK_KEYS: MD picoseconds per
  job, samples, training iterations, metric points; other rules as measured); failing all that,
  the runtime the job declares to the scheduler (resources.runtime, minutes, times its threads),
  an upper bound with margin rather than a measurement ("declared").
The benchmark files' `cpu_time` is not used: Snakemake samples a job's processes every 0.5 s for
its first 30 samples and every 30 s after that, and cpu_time is the sum at the last sample, so it
misses up to 30 s at the end of every job longer than ~15 s (a 24 s learned_sample job: 15.3 s
recorded, 23.7 s used, measured with /usr/bin/time).
GPU-hours are given only where a CUDA benchmark records the rate ("n/a" otherwise).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from activediff.io import write_json
from activediff.machine import machine_info

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks" / "results"
TRAINING_RULES = ("train_mlp", "train_extended")
# The config values a job's cost grows with, linearly (their product): a measured per-job cost is
# scaled by the ratio of the priced config's product to the measured one's.
WORK_KEYS = {
    "alanine_production": [("alanine", "chunk_ps")],
    "alanine_nvt": [("alanine", "nvt_ps")],
    "alanine_npt": [("alanine", "npt_ps")],
    "analytic_sample": [("analytic", "n_samples")],
    "learned_sample": [("learned", "n_samples")],
    "sample_alanine": [("alanine", "models", "n_samples")],
    "sample_ising": [("ising_models", "n_samples")],
    "train_ising": [("ising_models", "training", "checkpoints"), ("ising_models", "training", "batch_size")],
    "ising_data": [("ising", "n_samples")],
    "learned_metrics": [("metrics", "n_eval"), ("metrics", "n_chunks")],
    "sample_metrics": [("metrics", "n_eval"), ("metrics", "n_chunks")],
}
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


def _benchmark_wall(folder: Path) -> dict[str, list[float]]:
    """Wall seconds (`s`) of each job in Snakemake benchmark files folder/{rule}/**.tsv, by rule."""
    out: dict[str, list[float]] = {}
    for rule_dir in sorted(p for p in Path(folder).glob("*") if p.is_dir()):
        for tsv in sorted(rule_dir.rglob("*.tsv")):
            lines = tsv.read_text().splitlines()
            if len(lines) >= 2:
                row = dict(zip(lines[0].split("\t"), lines[1].split("\t")))
                try:
                    out.setdefault(rule_dir.name, []).append(float(row["s"]))
                except (KeyError, ValueError):
                    pass
    return out


STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$", re.M)  # Snakemake's log time stamps


def _stamp(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(re.sub(" +", " ", text), "%a %b %d %H:%M:%S %Y")


def _log_jobs(text: str) -> dict[str, list[tuple[float, int]]]:
    """(wall seconds, threads) of each finished job in a Snakemake log's text (its start and end
    stamps; Snakemake prints `threads:` only above one), by rule."""
    stamp, rule, job, started, out = None, None, None, {}, {}
    for line in text.splitlines():
        if (m := STAMP.fullmatch(line.strip())):
            stamp = _stamp(m.group(1))
        elif (m := re.match(r"^(?:local)?rule (\w+):", line)):
            rule = m.group(1)
        elif (m := re.match(r"^\s+jobid: (\d+)$", line)) and rule:
            job, started[m.group(1)], rule = m.group(1), [rule, stamp, 1], None
        elif (m := re.match(r"^\s+threads: (\d+)$", line)) and job in started:
            started[job][2] = int(m.group(1))
        elif (m := re.match(r"^Finished jobid: (\d+)", line)) and m.group(1) in started:
            name, begin, threads = started.pop(m.group(1))
            out.setdefault(name, []).append(((stamp - begin).total_seconds(), threads))
    return out


def rule_work(config: dict, rule: str) -> float | None:
    """The product of a rule's WORK_KEYS values in a config (a list counts by its largest entry);
    None for rules priced per job as measured (or a config without those keys)."""
    product = 1.0 if rule in WORK_KEYS else None
    for path in WORK_KEYS.get(rule, []):
        value = config
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        product *= float(max(value) if isinstance(value, list) else value)
    return product


def _log_span(text: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The first and the last time stamp of a Snakemake log's text."""
    stamps = STAMP.findall(text)
    return (_stamp(stamps[0]), _stamp(stamps[-1])) if stamps else None


def record_run(run_dir: Path) -> dict:
    """What a finished run cost, by rule: jobs and core-seconds held (each job's wall time from its
    benchmark file, or from the Snakemake log with the most finished jobs, times its threads from
    that log), with the work the rule's cost grows with in the run's config.yaml, and the start
    and wall minutes of that log."""
    logs = sorted(Path(run_dir).glob(".snakemake/log/*.snakemake.log"))
    texts = [log.read_text(errors="replace") for log in logs]
    jobs = [_log_jobs(text) for text in texts]
    main = max(range(len(texts)), key=lambda i: sum(map(len, jobs[i].values())), default=None)
    logged = jobs[main] if main is not None else {}
    timed = _benchmark_wall(Path(run_dir) / "results" / "benchmarks")
    rules = {}
    for rule in sorted(set(logged) | set(timed)):
        threads = max((t for _, t in logged.get(rule, [])), default=1)
        walls = timed.get(rule) or [w for w, _ in logged[rule]]
        rules[rule] = {"jobs": max(len(logged.get(rule, [])), len(walls)), "threads": threads,
                       "core_s": threads * sum(walls), "source": "benchmark" if rule in timed else "log"}
    config = merged_config(None, Path(run_dir))
    for rule in TRAINING_RULES:
        if rule in rules:
            rules[rule]["model_iterations"] = rules[rule]["jobs"] * training_work(config, rule)
    for rule in set(WORK_KEYS) & set(rules):
        rules[rule]["work"] = rule_work(config, rule)
    commit = subprocess.run(["git", "-C", str(run_dir), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    span = _log_span(texts[main]) if main is not None else None
    return {"rules": rules, "run_dir": str(Path(run_dir).resolve()),
            "commit": commit.stdout.strip() if commit.returncode == 0 else None,
            "started": span[0].isoformat() if span else None,
            "wall_minutes": round((span[1] - span[0]).total_seconds() / 60, 1) if span else None}


def training_work(config: dict, rule: str, dataset: str | None = None) -> int:
    """Model-iterations of one training job: seeds x the last checkpoint of its schedule (the
    extended one for train_extended and the sets training.extended lists)."""
    training = config["training"]
    extended = training.get("extended", {})
    longer = rule == "train_extended" or dataset in extended.get("datasets", [])
    schedule = extended["checkpoints"] if longer else training["checkpoints"]
    return len(training["seeds"]) * max(int(i) for i in schedule)


def load_measured(source: str | Path | None) -> dict:
    """A measured run: a record (JSON, as --record writes) or a run directory read by record_run
    (of its config.yaml); None: the committed record of a default run."""
    source = Path(source) if source is not None else BENCHMARKS / "pipeline_default_cpu.json"
    if source.is_file():
        return json.loads(source.read_text())
    return record_run(source) if source.is_dir() else {"rules": {}}


def _source_label(rule_record: dict) -> str:
    """How a recorded rule was timed, as the price table says it: "measured" (benchmark files'
    wall time) or "log wall" (the log's stamps)."""
    return "measured" if rule_record.get("source") == "benchmark" else "log wall"


def measured_seconds(record: dict) -> dict[str, tuple[float, str]]:
    """Mean core-seconds per job of each rule of a measured run, with its source label."""
    return {rule: (r["core_s"] / r["jobs"], _source_label(r))
            for rule, r in record.get("rules", {}).items() if r.get("jobs")}


def price(jobs: list[Job], config: dict, cpu_bench: dict | None, gpu_bench: dict | None,
          measured: dict | None = None) -> list[dict]:
    """One row per stage: jobs, CPU-hours, GPU-hours (None: not measured) and the sources used.
    `measured` is a run record (load_measured)."""
    seeds = len(config["training"]["seeds"])
    per_job = measured_seconds(measured or {})
    rules = (measured or {}).get("rules", {})
    rows: dict[str, dict] = {}
    gpu_rate = gpu_training_rate(gpu_bench)
    for job in jobs:
        row = rows.setdefault(stage_of(job.rule), {"jobs": 0, "cpu_h": 0.0, "gpu_h": 0.0, "gpu_known": True,
                                                   "sources": set()})
        row["jobs"] += 1
        if job.rule in TRAINING_RULES:
            work = training_work(config, job.rule, job.wildcards.get("dataset"))
            done = rules.get(job.rule, {})
            rate = training_rate(cpu_bench, seeds)
            if done.get("model_iterations") and done.get("core_s"):
                row["cpu_h"] += work * done["core_s"] / done["model_iterations"] / 3600
                row["sources"].add(_source_label(done))
            elif rate:
                row["cpu_h"] += work / rate[0] / 3600
                row["sources"].add(f"train_mlp_cpu.json {rate[1]}")
            else:
                row["cpu_h"] += job.runtime_min * job.threads / 60
                row["sources"].add("declared")
            if gpu_rate:
                row["gpu_h"] += work / gpu_rate / 3600
                row["sources"].add("gpu_check_cuda.json")
            else:
                row["gpu_known"] = False
        elif job.rule in per_job:
            seconds, source = per_job[job.rule]
            measured_work, priced_work = rules[job.rule].get("work"), rule_work(config, job.rule)
            if measured_work and priced_work:
                seconds *= priced_work / measured_work
            row["cpu_h"] += seconds / 3600
            row["sources"].add(source)
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
    lines.append("CPU-h: core-hours held (wall x threads). measured: per job (training: per model-iteration) from a "
                 "measured run's benchmark files; log wall: from its log; declared: the jobs' own runtime resource (an "
                 "upper bound); GPU-h n/a: no CUDA benchmark recorded for that stage")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activediff.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default=None, help="config merged over config.yaml (default: none)")
    parser.add_argument("--measured", default=None,
                        help="a finished run's directory (run with its config.yaml) or a record of one (default: "
                             "benchmarks/results/pipeline_default_cpu.json, a from-scratch default run)")
    parser.add_argument("--record", metavar="RUN_DIR", default=None,
                        help="write the record of the finished run in RUN_DIR (as JSON, to --out) instead of pricing")
    parser.add_argument("--out", default=str(BENCHMARKS / "pipeline_default_cpu.json"))
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.record:
        record = record_run(Path(args.record))
        if not record["rules"]:
            raise SystemExit(f"{args.record}: no finished jobs found (.snakemake/log, results/benchmarks)")
        record["machine"] = machine_info()
        write_json(args.out, record)
        print(f"wrote {args.out}: {sum(r['jobs'] for r in record['rules'].values())} jobs")
        return 0
    jobs = dag_jobs(args.configfile)
    rows = price(jobs, merged_config(args.configfile), read_benchmark("train_mlp_cpu.json"),
                 read_benchmark("gpu_check_cuda.json"), load_measured(args.measured))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows, f"cost of a from-scratch run of {args.configfile or 'config.yaml'} "
                                 f"({len(jobs)} jobs)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
