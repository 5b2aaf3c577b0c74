"""Sampling trained score models with any of the samplers, following a plan.

One file per (dataset, process, training seed): every [sampler, checkpoint, physical step size,
grid] entry of the plan, stacked, so a handful of jobs serve every figure (dt = 0 for the
adaptive ODE). Grid `stage` is the stage's own sampling convention (learned.sampling);
`authors_analytic` is the authors' exact-score grid (eps 0, no denoising), the second row.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from activediff.diffusion.ode_sampler import probability_flow_samples
from activediff.diffusion.samplers import reverse_em_samples, reverse_time_grid
from activediff.diffusion.scores import GaussianMixture
from activediff.diffusion.settings import SamplingSettings
from activediff.diffusion.splitting import splitting_samples
from activediff.diffusion.stability import em_amplification, gaussian_fit
from activediff.toy import data as toy

SAMPLERS = ("learned_em", "learned_split", "learned_ode")


def stability_reference(dataset: dict, seed: int, n_draws: int = 20000) -> GaussianMixture:
    """The data's mixture for the Euler-Maruyama stability check, or, for sets without one, a
    Gaussian fit of n_draws draws (it sees the data's scale, not its fine structure)."""
    params = dict(dataset)
    kind = params.pop("kind")
    mixture = toy.mixture_for(kind, **params)
    return mixture if mixture is not None else gaussian_fit(toy.sample(kind, n_draws, seed, **params))


def entry_settings(settings: SamplingSettings, grid: str) -> SamplingSettings:
    """The stage's settings, or the analytic grid's (eps 0, no denoising) for grid authors_analytic."""
    if grid == "stage":
        return settings
    if grid == "authors_analytic":
        return dataclasses.replace(settings, grid=grid, eps=0.0, denoise=False)
    raise ValueError(f"plan grid must be 'stage' or 'authors_analytic', got {grid!r}")


# Columns only Euler-Maruyama and splitting samples have a number in (the ODE takes no fixed step).
FIXED_STEP_ONLY = ("em_amplification",)


def sample_one(model, sampler: str, dt_phys: float, coord_shape, n_samples: int, seed: int,
               settings: SamplingSettings, reference: GaussianMixture | None = None, device=None) -> dict:
    """x (n_samples, *coord_shape), mean score evaluations per sample, the code step and the
    Euler-Maruyama amplification on the reference mixture (nan for the ODE) of one sampler."""
    sde, s = model.sde, settings
    if sampler == "learned_ode":
        x, nfe = probability_flow_samples(sde, model, coord_shape, n_samples, seed, s.eps, s.rtol, s.atol,
                                          denoise=s.denoise, batch_size=s.batch_size, device=device,
                                          step_control=s.step_control)
        return dict(x=x, score_evals=float(nfe.mean()), dt=0.0, em_amplification=float("nan"))
    fixed_step = {"learned_em": reverse_em_samples, "learned_split": splitting_samples}
    if sampler not in fixed_step:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of {SAMPLERS}")
    dt = sde.code_step(dt_phys)
    grid = reverse_time_grid(sde.t_max, dt, s.grid, s.eps, s.denoise)
    x = fixed_step[sampler](sde, model, coord_shape, n_samples, seed, dt, s.eps, denoise=s.denoise,
                            batch_size=s.batch_size, device=device, grid=s.grid)
    amplification = em_amplification(sde, reference, grid) if reference is not None else float("nan")
    return dict(x=x, score_evals=float(len(grid) - 1 + s.denoise), dt=dt, em_amplification=amplification)


def run_plan(models: dict, plan, coord_shape, n_samples: int, seed: int, settings: SamplingSettings,
             reference: GaussianMixture | None = None, device=None, log=None) -> dict[str, np.ndarray]:
    """Run every [sampler, iteration, dt_phys, grid] entry of a plan with models[iteration]. Every
    entry starts from the same per-sample prior draws (same seed), so entries differ only by what
    they vary. Returns arrays sampler, iters, dt (code), dt_phys, convention, em_amplification,
    score_evals (k,) and x (k, n, *coords)."""
    out = {key: [] for key in ("x", "score_evals", "dt", "em_amplification", "convention")}
    for sampler, iters, dt_phys, grid in plan:
        s = entry_settings(settings, grid)
        one = sample_one(models[int(iters)], sampler, float(dt_phys), coord_shape, n_samples, seed, s, reference,
                         device)
        for key in ("x", "score_evals", "dt", "em_amplification"):
            out[key].append(one[key])
        out["convention"].append(s.label)
        if log:
            log.info("%s at iteration %d, dt %g physical, %s: %.0f score evaluations per sample, EM amplification "
                     "%.3f", sampler, iters, dt_phys, s.label, one["score_evals"], one["em_amplification"])
    arrays = {key: np.array(values) for key, values in out.items() if key != "x"}
    return dict(arrays, sampler=np.array([e[0] for e in plan]), iters=np.array([int(e[1]) for e in plan]),
                dt_phys=np.array([float(e[2]) for e in plan]), x=np.stack(out["x"]))
