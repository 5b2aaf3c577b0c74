"""Throughput of the Ising Metropolis generator: attempted single-spin updates per second at L = 32.

Measures, in one run and on the same machine:
- the project's CPU route (numba, multi-spin coding, 64 chains per word, `--threads` threads);
- the project's paper-protocol route (numba, one chain per lattice, random site);
- a batched-numpy checkerboard baseline (int8 lattices, np.roll neighbours, one uniform per site);
- the torch route on CUDA when present (and on CPU with --torch-cpu);
then generates the default-config data (L = 32, 10,000 lattices per temperature) with the CPU
route (and the CUDA route with --device cuda) and runs the validation on it. Writes benchmarks/results/ising_mcmc_<device>.json.

    .venv/bin/python benchmarks/ising_mcmc.py --threads 2            # CPU
    python3 benchmarks/ising_mcmc.py --device cuda --threads 2       # GPU machine
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from activediff.ising.mcmc import generate  # noqa: E402
from activediff.ising.validation import validate_samples  # noqa: E402
from activediff.machine import machine_info  # noqa: E402


def numpy_checkerboard(spins: np.ndarray, T: float, n_sweeps: int, rng: np.random.Generator) -> np.ndarray:
    """Baseline: batched numpy checkerboard Metropolis on int8 spins (C, L, L)."""
    L = spins.shape[-1]
    p_one, p_zero = np.float32(math.exp(-4.0 / T)), np.float32(math.exp(-8.0 / T))
    parity = np.add.outer(np.arange(L), np.arange(L)) % 2
    sublattices = [parity == 0, parity == 1]
    for _ in range(n_sweeps):
        for on in sublattices:
            field = np.roll(spins, 1, 1) + np.roll(spins, -1, 1) + np.roll(spins, 1, 2) + np.roll(spins, -1, 2)
            half_de = spins * field
            u = rng.random(spins.shape, dtype=np.float32)
            accept = (half_de <= 0) | ((half_de == 2) & (u < p_one)) | ((half_de == 4) & (u < p_zero))
            spins = np.where(accept & on, -spins, spins)
    return spins


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def rate_entry(name, attempts, times, **extra):
    best, median = min(times), float(np.median(times))
    return dict(name=name, attempts_per_call=int(attempts), seconds=times,
                attempts_per_s_best=attempts / best, attempts_per_s_median=attempts / median, **extra)


def bench_multispin(L, T, chains, sweeps, threads, repeats):
    from activediff.ising import mcmc_numba as nb

    nb.set_threads(threads)
    groups = math.ceil(chains / 64)
    spins = np.empty((groups, L, L), dtype=np.uint64)
    nb.pack_chains(np.ones((chains, L, L), dtype=np.int8), spins)
    rng = np.random.SeedSequence(1).generate_state(4 * groups, dtype=np.uint64).reshape(groups, 4)
    thr1 = nb.fixed_point_threshold(math.exp(-4 / T), 64)
    thr0 = nb.fixed_point_threshold(math.exp(-8 / T), 64)
    nb.multispin_sweeps(spins, rng, 200, thr1, thr0)  # compile + equilibrate from the cold start
    times = timed(lambda: nb.multispin_sweeps(spins, rng, sweeps, thr1, thr0), repeats)
    return rate_entry("numba multispin checkerboard (project generator)", 64 * groups * L * L * sweeps, times,
                      T=T, chains=64 * groups, sweeps=sweeps, threads=threads)


def bench_random_site(L, T, chains, attempts, threads, repeats):
    from activediff.ising import mcmc_numba as nb

    nb.set_threads(threads)
    lat = np.ones((chains, L, L), dtype=np.int8)
    rng = np.random.SeedSequence(2).generate_state(4 * chains, dtype=np.uint64).reshape(chains, 4)
    thr1 = nb.fixed_point_threshold(math.exp(-4 / T), 64)
    thr0 = nb.fixed_point_threshold(math.exp(-8 / T), 64)
    nb.random_site_chains(lat, rng, 200 * L * L, thr1, thr0)
    times = timed(lambda: nb.random_site_chains(lat, rng, attempts, thr1, thr0), repeats)
    return rate_entry("numba random-site (paper protocol route)", chains * attempts, times,
                      T=T, chains=chains, threads=threads)


def bench_numpy(L, T, chains, sweeps, repeats):
    rng = np.random.default_rng(3)
    state = {"s": np.ones((chains, L, L), dtype=np.int8)}
    state["s"] = numpy_checkerboard(state["s"], T, 20, rng)

    def run():
        state["s"] = numpy_checkerboard(state["s"], T, sweeps, rng)

    return rate_entry("numpy batched checkerboard (baseline)", chains * L * L * sweeps, timed(run, repeats),
                      T=T, chains=chains, sweeps=sweeps, threads="numpy default")


def bench_torch(L, T, chains, sweeps, device, threads, repeats):
    import torch

    from activediff.ising import mcmc_torch as tr

    if device == "cpu":
        torch.set_num_threads(threads)
    gen = tr.make_generator(4, device)
    state = {"s": torch.ones((chains, L, L), dtype=torch.int8, device=device)}
    state["s"] = tr.checkerboard_sweeps(state["s"], T, 20, gen)

    def run():
        state["s"] = tr.checkerboard_sweeps(state["s"], T, sweeps, gen)
        if device == "cuda":
            torch.cuda.synchronize()

    run()
    return rate_entry(f"torch checkerboard ({device})", chains * L * L * sweeps, timed(run, repeats),
                      T=T, chains=chains, sweeps=sweeps, threads=threads if device == "cpu" else None)


def bench_torch_paper(L, T, chains, attempts, device, repeats):
    import torch

    from activediff.ising import mcmc_torch as tr

    gen = tr.make_generator(5, device)
    spins = torch.ones((chains, L, L), dtype=torch.int8, device=device)
    tr.random_site_attempts(spins, T, 1000, gen)

    def run():
        tr.random_site_attempts(spins, T, attempts, gen)
        if device == "cuda":
            torch.cuda.synchronize()

    return rate_entry(f"torch random-site (paper protocol route, {device})", chains * attempts,
                      timed(run, repeats), T=T, chains=chains)


def device_info(device) -> dict:
    import torch

    try:
        import numba

        numba_version = numba.__version__
    except ImportError:
        numba_version = None
    extra = {"gpu": torch.cuda.get_device_name(0)} if device == "cuda" else {}
    return machine_info(numpy=np.__version__, numba=numba_version, torch=torch.__version__,
                        numba_threading_layer=None, **extra)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads of the numba and torch-CPU routes")
    ap.add_argument("--L", type=int, default=32)
    ap.add_argument("--chains", type=int, default=1024, help="chains of the CPU routes")
    ap.add_argument("--gpu-chains", type=int, default=65536)
    ap.add_argument("--temperatures", type=float, nargs="+", default=[1.5, 2.0, 2.25])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--torch-cpu", action="store_true", help="also time the torch route on CPU tensors")
    ap.add_argument("--skip-validation", action="store_true")
    ap.add_argument("--no-cpu", action="store_true", help="skip the numba and numpy routes (no numba here)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    out = args.out or REPO / "benchmarks" / "results" / f"ising_mcmc_{args.device}.json"
    L = args.L
    info = device_info(args.device)
    results = []
    for T in args.temperatures:
        rows = [] if args.no_cpu else [
            bench_multispin(L, T, args.chains, 200, args.threads, args.repeats),
            bench_numpy(L, T, args.chains, 10, args.repeats),
            bench_random_site(L, T, min(args.chains, 256), 100 * L * L, args.threads, args.repeats)]
        if args.torch_cpu:
            rows.append(bench_torch(L, T, args.chains, 10, "cpu", args.threads, args.repeats))
        if args.device == "cuda":
            rows.append(bench_torch(L, T, args.gpu_chains, 50, "cuda", None, args.repeats))
            rows.append(bench_torch_paper(L, T, 16384, 5000, "cuda", 2))
        speedup = None if args.no_cpu else rows[0]["attempts_per_s_median"] / rows[1]["attempts_per_s_median"]
        for row in rows:
            print(f"T={T:<5g} {row['name']:<55s} {row['attempts_per_s_median']:.3g} attempts/s "
                  f"(best {row['attempts_per_s_best']:.3g})", flush=True)
        results.append({"T": T, "rows": rows, "speedup_generator_over_numpy": speedup})
    validation = []
    if not args.skip_validation:
        routes = ([] if args.no_cpu else ["cpu"]) + (["cuda"] if args.device == "cuda" else [])
        for route in routes:
            for T in args.temperatures:  # the default config's data: 1000 chains x 10 records, burn-in 2000, thinning 50
                t0 = time.perf_counter()
                samples = generate(L, T, 10000, seed=1234, chains=1000, burn_in_sweeps=2000, thinning_sweeps=50,
                                   threads=args.threads, device=route)
                seconds = time.perf_counter() - t0
                report = validate_samples(samples, T)
                validation.append({"route": "numba multispin (cpu)" if route == "cpu" else "torch (cuda)",
                                   "T": T, "generate_seconds": seconds, "passed": report["passed"],
                                   "tests": {t["name"]: t["z"] if t["z"] is None else round(t["z"], 3)
                                             for t in report["tests"]},
                                   "energy_per_spin": report["energy_per_spin"]["mean"],
                                   "exact_energy_per_spin": report["energy_per_spin"]["exact"]})
                print(f"validation {route} T={T:g}: passed={report['passed']} z={validation[-1]['tests']} "
                      f"(generated in {seconds:.2f} s)", flush=True)
    slowest_generator = None if args.no_cpu else min(r["rows"][0]["attempts_per_s_median"] for r in results)
    smallest_speedup = None if args.no_cpu else min(r["speedup_generator_over_numpy"] for r in results)
    if not args.no_cpu:
        import numba

        info["numba_threading_layer"] = numba.threading_layer()
    summary = {
        "target_attempts_per_s": 5e8, "target_speedup_over_numpy": 10.0,
        "generator_attempts_per_s_min_over_T": slowest_generator,
        "speedup_over_numpy_min_over_T": smallest_speedup,
        "target_met": None if args.no_cpu else bool(slowest_generator >= 5e8 and smallest_speedup >= 10
                                                    and all(v["passed"] for v in validation)),
        "validation_passed": all(v["passed"] for v in validation) if validation else None,
    }
    doc = {"benchmark": "ising_mcmc", "L": L, "threads": args.threads, "machine": info,
           "results": results, "validation": validation, "summary": summary}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
