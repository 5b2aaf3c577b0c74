"""Sampling trained score models with any of the samplers, following a plan.

One file per (dataset, process, training seed): every [sampler, checkpoint, step size] entry of
the plan, stacked, so a handful of jobs serve every figure (dt = 0 for the adaptive ODE).
"""

from __future__ import annotations

import numpy as np

from activediff.diffusion.ode_sampler import probability_flow_samples
from activediff.diffusion.samplers import reverse_em_samples
from activediff.diffusion.splitting import splitting_samples

SAMPLERS = ("learned_em", "learned_split", "learned_ode")


def sample_one(model, sampler: str, dt: float, coord_shape, n_samples: int, seed: int, eps: float,
               rtol: float = 1e-5, atol: float = 1e-5, device=None) -> tuple[np.ndarray, float]:
    """(x channel (n_samples, *coord_shape), mean score evaluations per sample) of one sampler."""
    sde = model.sde
    if sampler == "learned_ode":
        x, nfe = probability_flow_samples(sde, model, coord_shape, n_samples, seed, eps, rtol, atol, device=device)
        return x, float(nfe.mean())
    if sampler == "learned_em":
        x = reverse_em_samples(sde, model, coord_shape, n_samples, seed, dt, eps, device=device)
        return x, float(round((sde.t_max - eps) / dt))
    if sampler == "learned_split":
        x = splitting_samples(sde, model, coord_shape, n_samples, seed, dt, eps, device=device)
        return x, float(round((sde.t_max - eps) / dt))
    raise ValueError(f"unknown sampler {sampler!r}; expected one of {SAMPLERS}")


def run_plan(models: dict, plan, coord_shape, n_samples: int, seed: int, eps: float, rtol: float = 1e-5,
             atol: float = 1e-5, device=None, log=None) -> dict[str, np.ndarray]:
    """Run every [sampler, iteration, dt] entry of a plan with models[iteration]. Every entry
    starts from the same per-sample prior draws (same seed), so entries differ only by what they
    vary. Returns arrays sampler (k,), iters (k,), dt (k,), score_evals (k,), x (k, n, *coords)."""
    xs, evals = [], []
    for sampler, iters, dt in plan:
        x, nfe = sample_one(models[int(iters)], sampler, float(dt), coord_shape, n_samples, seed, eps, rtol, atol,
                            device)
        xs.append(x)
        evals.append(nfe)
        if log:
            log.info("%s at iteration %d, dt=%g: %.0f score evaluations per sample", sampler, iters, dt, nfe)
    return {"sampler": np.array([p[0] for p in plan]), "iters": np.array([int(p[1]) for p in plan]),
            "dt": np.array([float(p[2]) for p in plan]), "score_evals": np.array(evals), "x": np.stack(xs)}
