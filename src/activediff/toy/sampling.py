"""Sampling trained score models with any of the samplers, following a plan.

One file per (dataset, process, training seed): every [sampler, checkpoint, step size] entry of
the plan, stacked, so a handful of jobs serve every figure (dt = 0 for the adaptive ODE).
"""

from __future__ import annotations

import numpy as np

from activediff.diffusion.ode_sampler import probability_flow_samples
from activediff.diffusion.samplers import reverse_em_samples
from activediff.diffusion.settings import SamplingSettings
from activediff.diffusion.splitting import splitting_samples

SAMPLERS = ("learned_em", "learned_split", "learned_ode")


def sample_one(model, sampler: str, dt: float, coord_shape, n_samples: int, seed: int,
               settings: SamplingSettings, device=None) -> tuple[np.ndarray, float]:
    """(x channel (n_samples, *coord_shape), mean score evaluations per sample) of one sampler."""
    sde, s = model.sde, settings
    if sampler == "learned_ode":
        x, nfe = probability_flow_samples(sde, model, coord_shape, n_samples, seed, s.eps, s.rtol, s.atol,
                                          denoise=s.denoise, batch_size=s.batch_size, device=device)
        return x, float(nfe.mean())
    fixed_step = {"learned_em": reverse_em_samples, "learned_split": splitting_samples}
    if sampler not in fixed_step:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of {SAMPLERS}")
    x = fixed_step[sampler](sde, model, coord_shape, n_samples, seed, dt, s.eps, denoise=s.denoise,
                            batch_size=s.batch_size, device=device)
    return x, float(round((sde.t_max - s.eps) / dt))


def run_plan(models: dict, plan, coord_shape, n_samples: int, seed: int, settings: SamplingSettings,
             device=None, log=None) -> dict[str, np.ndarray]:
    """Run every [sampler, iteration, dt] entry of a plan with models[iteration]. Every entry
    starts from the same per-sample prior draws (same seed), so entries differ only by what they
    vary. Returns arrays sampler (k,), iters (k,), dt (k,), score_evals (k,), x (k, n, *coords)."""
    xs, evals = [], []
    for sampler, iters, dt in plan:
        x, nfe = sample_one(models[int(iters)], sampler, float(dt), coord_shape, n_samples, seed, settings, device)
        xs.append(x)
        evals.append(nfe)
        if log:
            log.info("%s at iteration %d, dt=%g: %.0f score evaluations per sample", sampler, iters, dt, nfe)
    return {"sampler": np.array([p[0] for p in plan]), "iters": np.array([int(p[1]) for p in plan]),
            "dt": np.array([float(p[2]) for p in plan]), "score_evals": np.array(evals), "x": np.stack(xs)}
