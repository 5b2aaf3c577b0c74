"""Probability-flow ODE: where its score evaluations go, and what per-sample and shared step-size
control each cost and get right.

For passive, active and CLD on the wide diamond's exact GMM score (B = 0.5, 0.04-wide modes: the
sharpest toy target), n samples (default 2048, the sampling batch) from t_max down to eps with RK45
at rtol = atol = 1e-5 (the paper's):
- per_sample: every sample its own time, step and error norm (ours; batch-independent),
- shared: one step for the batch, scipy's RMS norm over the flattened batch (the authors'
  torchdiffeq scipy_solver; a sample's result depends on its batch),
against a reference: per-sample RK45 at rtol = atol = 1e-10.

Recorded per process and mode: score evaluations per sample (mean and max), CPU seconds (process
time, one thread, the two modes interleaved, min and median over repeats), the error of each sample
against the reference (Euclidean distance of x: RMS, 99th percentile, max), and KL / Bhattacharyya
against the data (activediff.evaluation.metrics, 512-point chunks) next to the reference's: the
accuracy that matters for the figures. Where the evaluations go: the share of per-sample score
evaluations in each decade of t.

    python benchmarks/ode_step_control.py  # -> benchmarks/results/ode_step_control_cpu.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from activediff.diffusion.ode_sampler import STEP_CONTROLS, probability_flow_ode
from activediff.diffusion.samplers import sample_noise
from activediff.diffusion.scores import exact_score_fn
from activediff.diffusion.sde import make_sde
from activediff.evaluation.metrics import evaluate
from activediff.io import write_json
from activediff.machine import load_average, machine_info
from activediff.toy import data as toy

PROCESSES = ("passive", "active", "cld")
DECADES = (1e-3, 1e-2, 1e-1, 1.0)  # evaluation-time bins: [eps, 1e-2), [1e-2, 1e-1), [1e-1, 1]


class CountingScore:
    """The exact score, counting evaluations per sample by the decade of t they were made at."""

    def __init__(self, score_fn):
        self.score_fn, self.counts = score_fn, np.zeros(len(DECADES) - 1, dtype=np.int64)

    def __call__(self, u, t):
        times = np.broadcast_to(np.asarray(t.cpu() if isinstance(t, torch.Tensor) else t, float), (u.shape[0],))
        self.counts += np.histogram(times, bins=DECADES)[0]
        return self.score_fn(u, t)


def prior(sde, n: int, seed: int) -> torch.Tensor:
    noise, _ = sample_noise(seed, np.arange(n), (sde.n_channels, 2), 0)
    return sde.prior_sample(torch.from_numpy(noise))


def distances(u: torch.Tensor, reference: torch.Tensor) -> dict:
    d = (u[:, 0] - reference[:, 0]).norm(dim=1).numpy()
    return {"rms": float(np.sqrt(np.mean(d ** 2))), "p99": float(np.quantile(d, 0.99)), "max": float(d.max())}


def quality(data: np.ndarray, x: np.ndarray, n_eval: int) -> dict:
    m = evaluate(data, x, n_eval=n_eval, n_chunks=len(x) // n_eval, swd_projections=64)
    return {key: m[key] for key in ("kl", "kl_se", "bhattacharyya", "bhattacharyya_se")}


def run_process(name: str, n: int, eps: float, tol: float, repeats: int, seed: int) -> dict:
    sde = make_sde(name)
    mix = toy.diamond_mixture()
    data = toy.sample("diamond", n, seed + 1)
    u0 = prior(sde, n, seed)
    reference = probability_flow_ode(sde, exact_score_fn(mix, sde), u0, sde.t_max, eps, 1e-10, 1e-10)
    out = {"reference": {"tol": 1e-10, "evals_per_sample": float(reference.n_score_evals.double().mean()),
                         **quality(data, reference.u[:, 0].numpy(), 512)}}
    seconds = {mode: [] for mode in STEP_CONTROLS}
    for repeat in range(repeats):  # interleaved: both modes see the same load
        for mode in STEP_CONTROLS:
            counter = CountingScore(exact_score_fn(mix, sde))
            start = time.process_time()
            result = probability_flow_ode(sde, counter, u0, sde.t_max, eps, tol, tol, step_control=mode)
            seconds[mode].append(time.process_time() - start)
            if repeat:  # the same deterministic result: its counts and quality are measured once
                continue
            evals = result.n_score_evals.double()
            out[mode] = {"tol": tol, "evals_per_sample": float(evals.mean()), "evals_max": int(evals.max()),
                         "evaluation_share_by_t": {f"[{lo:g}, {hi:g})": round(float(c) / counter.counts.sum(), 4)
                                                   for lo, hi, c in zip(DECADES, DECADES[1:], counter.counts)},
                         "error_vs_reference": distances(result.u, reference.u),
                         **quality(data, result.u[:, 0].numpy(), 512)}
    for mode in STEP_CONTROLS:
        out[mode]["cpu_seconds_min"] = min(seconds[mode])
        out[mode]["cpu_seconds_median"] = statistics.median(seconds[mode])
    out["shared_speedup_cpu"] = out["per_sample"]["cpu_seconds_min"] / out["shared"]["cpu_seconds_min"]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="samples (one batch)")
    parser.add_argument("--eps", type=float, default=1e-3)
    parser.add_argument("--tol", type=float, default=1e-5, help="rtol = atol of the two modes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "ode_step_control_cpu.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    info = machine_info(torch=torch.__version__, torch_threads=1)
    results = {name: run_process(name, args.n, args.eps, args.tol, args.repeats, args.seed) for name in PROCESSES}
    info["load_average_at_end"] = load_average()
    write_json(args.out, {"machine": info, "settings": vars(args), "results": results})
    for name, r in results.items():
        print(f"{name}: evals/sample per_sample {r['per_sample']['evals_per_sample']:.0f} shared "
              f"{r['shared']['evals_per_sample']:.0f}; CPU x{r['shared_speedup_cpu']:.2f}; "
              f"p99 error {r['per_sample']['error_vs_reference']['p99']:.2e} / "
              f"{r['shared']['error_vs_reference']['p99']:.2e}; KL {r['reference']['kl']:.3f} (ref) "
              f"{r['per_sample']['kl']:.3f} {r['shared']['kl']:.3f}")


if __name__ == "__main__":
    main()
