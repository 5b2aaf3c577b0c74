"""What running several one-thread jobs at once gets from this machine: a fixed workload (the
ensemble trainer, 3 members of the active process on the diamond, the default run's largest kind
of job) run alone and as K copies at once (K = the core count by default), in interleaved rounds.

Records, per round, each copy's wall and CPU seconds, and over the rounds (medians):
- throughput: K copies' work per wall second over one copy's alone (K.0 would be K full cores);
- slowdown per CPU second: how much more CPU time a copy needs when it shares the machine
  (caches, memory bandwidth, clock, and on a virtual machine whatever shares its host).
The default run keeps every core busy with one-thread jobs, so its wall time is its core-seconds
(`python -m activediff.cost`) over the core count, and a core-second there buys less than one
of a job running alone, which is what the single-job benchmarks (train_mlp.py, sample.py) time.

    python benchmarks/concurrency.py          # -> benchmarks/results/concurrency_cpu.json
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from authors_code import THREAD_VARS  # noqa: E402

DATASET = {"kind": "diamond", "B": 0.5, "std": 0.04}
SDE = {"k": 1.0, "tau": 0.25, "Tp": 0.0, "Ta": 1.0, "eta0": "stationary", "beta": 4.0}
SEEDS = (0, 1, 2)


def workload(iterations: int) -> dict:
    """One copy: the ensemble trainer on one thread; its wall and CPU seconds."""
    import torch

    from activediff.diffusion.sde import make_sde
    from activediff.toy import data as toy
    from activediff.training.ensemble import train_ensemble
    from activediff.training.train import TrainSettings

    torch.set_num_threads(1)
    spec = dict(DATASET)
    data_fn = functools.partial(toy.sample, spec.pop("kind"), **spec)
    settings = TrainSettings(checkpoints=(iterations,), ema_warmup=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wall, cpu = time.perf_counter(), time.process_time()
        train_ensemble(settings, make_sde("active", **SDE), data_fn, DATASET, list(SEEDS),
                       [{iterations: tmp / f"ckpt{k}.pt"} for k in SEEDS], [tmp / f"log{k}.csv" for k in SEEDS],
                       tmp / "state", device="cpu", progress=False)
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def run_copies(copies: int, iterations: int) -> list[dict]:
    """`copies` workers started together; each reports its own seconds."""
    env = dict(os.environ, **{var: "1" for var in THREAD_VARS})
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(iterations)], stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(copies)]
    out = []
    for proc in procs:
        stdout, _ = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"a worker failed (exit {proc.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--iterations", type=int, default=1500, help="training iterations of one copy")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "concurrency_cpu.json"))
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(workload(args.worker)))
        return 0
    from activediff.io import write_json
    from activediff.machine import load_average, machine_info

    info = machine_info(threads_per_copy=1)
    run_copies(1, 20)  # first-call imports and caches: untimed
    rounds = []
    for r in range(args.rounds):
        alone, together = run_copies(1, args.iterations)[0], run_copies(args.copies, args.iterations)
        rounds.append({"alone": alone, "together": together,
                       "throughput": args.copies * alone["wall_s"] / max(c["wall_s"] for c in together),
                       "cpu_slowdown": statistics.mean(c["cpu_s"] for c in together) / alone["cpu_s"]})
        walls = ", ".join(f"{c['wall_s']:.1f}" for c in together)
        print(f"round {r}: alone {alone['wall_s']:.1f} s; {args.copies} at once {walls} s: throughput "
              f"{rounds[-1]['throughput']:.2f} "
              f"cores, CPU per copy x{rounds[-1]['cpu_slowdown']:.2f}", file=sys.stderr, flush=True)
    info["load_average_at_end"] = load_average()
    result = {"machine": info, "copies": args.copies, "iterations": args.iterations,
              "workload": {"trainer": "activediff.training.ensemble.train_ensemble", "members": len(SEEDS),
                           "dataset": DATASET, "sde": {"name": "active", **SDE}},
              "rounds": rounds,
              "throughput_cores_median": statistics.median(r["throughput"] for r in rounds),
              "cpu_slowdown_median": statistics.median(r["cpu_slowdown"] for r in rounds)}
    write_json(args.out, result)
    print(f"throughput of {args.copies} copies: {result['throughput_cores_median']:.2f} cores' worth; "
          f"CPU time per copy x{result['cpu_slowdown_median']:.2f}; wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
