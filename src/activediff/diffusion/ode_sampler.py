"""Adaptive probability-flow ODE sampler (docs/theory.md 2.6): Dormand-Prince RK45 with per-sample steps.

The paper integrates du/dt = f(u, t) - (beta/2) D s(u, t) from t_max down to eps with RK45 at
rtol = atol = 1e-5 (torchdiffeq's scipy_solver). That wrapper flattens the whole batch into one
vector, so one sample's steps, and hence its result, depend on the other samples in the batch.
Here every sample carries its own time, step size and accept/reject decision: each sample follows
exactly the step sequence scipy.integrate.solve_ivp(method="RK45") takes on that sample alone
(same tableau, error norm, initial step and step-size controller), while the score is evaluated on
the whole batch at once. The score function is therefore called with per-sample times:
score_fn(u, t) with t a float64 tensor of shape (batch,) (a float for the final denoising step).

`step_control="shared"` is the authors' solver instead: the batch is one system, flattened, with one
time, one step size and scipy's RMS error norm over all of its components (what torchdiffeq's
scipy_solver does), so each sample's result depends on the batch it is integrated with (the same
batch_size still gives the same bytes). The norm is an average over the batch, so a sample with a
large local error can be carried by the others, while every sample takes the steps the batch
needs; benchmarks/ode_step_control.py measures the cost and accuracy of both against a tight
reference (on the diamond's exact score shared takes as many or more evaluations).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from activediff.diffusion.samplers import ScoreFn, denoise_step, generate_samples
from activediff.diffusion.sde import LinearSDE

# Dormand-Prince 5(4): nodes C, stages A, 5th-order weights B, error weights E (B - B*, 7 stages).
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0)
_A = ((), (1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656))
_B = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84)
_E = (-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40)
# scipy's controller constants; the error of a 4th-order estimate scales as h^5.
SAFETY, MIN_FACTOR, MAX_FACTOR, ERROR_EXPONENT = 0.9, 0.2, 10.0, -1 / 5


class FlowResult(NamedTuple):
    u: torch.Tensor  # final states (batch, n, *coords)
    n_score_evals: torch.Tensor  # score evaluations per sample, as solve_ivp's nfev (+1 if denoised)
    n_steps: torch.Tensor  # accepted steps per sample
    n_rejected: torch.Tensor  # rejected step attempts per sample


#: Step-size control: each sample its own system (per_sample), or the whole batch one (shared).
STEP_CONTROLS = ("per_sample", "shared")


def _rms(x: torch.Tensor) -> torch.Tensor:
    """Per-sample RMS norm over all components (scipy's norm, one value per sample)."""
    return x.flatten(1).pow(2).mean(1).sqrt()


def _batch_rms(x: torch.Tensor) -> torch.Tensor:
    """scipy's RMS norm of the whole batch as one flattened vector, repeated for every sample."""
    return x.pow(2).mean().sqrt().expand(x.shape[0])


def _per_sample(v: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    return v.reshape(v.shape + (1,) * (u.ndim - 1))


def _require_finite(values: torch.Tensor, t: torch.Tensor, where: str, idx: torch.Tensor | None = None) -> None:
    """Stop at the first non-finite drift or error estimate (the step-size control cannot see a
    nan: it would otherwise loop until max_steps), naming the sample and its time."""
    bad = ~torch.isfinite(values.flatten(1).sum(1) if values.ndim > 1 else values)
    if bool(bad.any()):
        first = int(bad.nonzero()[0, 0])
        sample = int(idx[first]) if idx is not None else first
        raise FloatingPointError(f"probability_flow_ode: non-finite score or drift {where} for sample {sample} of the "
                                 f"batch at t = {float(t[first]):.6g} (is the score model's checkpoint finite?)")


def _combine(weights, stages):
    """sum_j w_j K_j over the stages with nonzero weight, in order."""
    acc = None
    for w, k in zip(weights, stages):
        if w:
            acc = w * k if acc is None else acc + w * k
    return acc


def probability_flow_ode(sde: LinearSDE, score_fn: ScoreFn, u_init: torch.Tensor, t_start: float, t_end: float,
                         rtol: float = 1e-5, atol: float = 1e-5, denoise: bool = False,
                         max_steps: int = 100_000, step_control: str = "per_sample") -> FlowResult:
    """Integrate the probability-flow ODE from t_start down to t_end (< t_start) with adaptive RK45
    steps, per sample or shared by the batch (STEP_CONTROLS); optionally a final drift-only
    denoising step of size t_end."""
    if not t_end < t_start:
        raise ValueError(f"probability_flow_ode integrates downwards: need t_end < t_start, got {t_end}, {t_start}")
    if step_control not in STEP_CONTROLS:
        raise ValueError(f"probability_flow_ode: step_control must be one of {STEP_CONTROLS}, got {step_control!r}")
    norm = _rms if step_control == "per_sample" else _batch_rms

    def rhs(u, t):
        return sde.probability_flow_drift(u, t, score_fn(u, t))

    n = u_init.shape[0]
    opts = dict(dtype=u_init.dtype, device=u_init.device)
    t = torch.full((n,), float(t_start), **opts)
    y = u_init.clone()
    f = rhs(y, t)
    _require_finite(f, t, "at the start")
    length = t_start - t_end

    # Initial step (Hairer-Norsett-Wanner II.4, as scipy's select_initial_step), per sample or per batch.
    scale = atol + y.abs() * rtol
    d0, d1 = norm(y / scale), norm(f / scale)
    h0 = torch.where((d0 < 1e-5) | (d1 < 1e-5), torch.full_like(d0, 1e-6), 0.01 * d0 / d1).clamp(max=length)
    f1 = rhs(y - _per_sample(h0, y) * f, t - h0)
    d2 = norm((f1 - f) / scale) / h0
    h1 = torch.where((d1 <= 1e-15) & (d2 <= 1e-15), torch.clamp(h0 * 1e-3, min=1e-6),
                     (0.01 / torch.maximum(d1, d2)) ** (1 / 5))
    h_abs = torch.minimum(torch.minimum(100 * h0, h1), torch.full_like(h0, length))

    n_evals = torch.full((n,), 2, dtype=torch.int64, device=u_init.device)
    n_steps = torch.zeros_like(n_evals)
    n_rejected = torch.zeros_like(n_evals)
    retrying = torch.zeros(n, dtype=torch.bool, device=u_init.device)  # last attempt was rejected
    active = t > t_end
    while bool(active.any()):
        idx = active.nonzero().squeeze(1)
        ti, yi, fi, hi, retry = t[idx], y[idx], f[idx], h_abs[idx], retrying[idx]
        min_step = 10 * (ti - torch.nextafter(ti, torch.full_like(ti, -np.inf))).abs()
        if bool((retry & (hi < min_step)).any()):
            raise RuntimeError(f"probability_flow_ode: step size underflow at t = "
                               f"{ti[retry & (hi < min_step)].tolist()[:5]} (score not finite or too stiff?)")
        hi = torch.where(retry, hi, torch.maximum(hi, min_step))
        t_new = torch.clamp(ti - hi, min=t_end)
        h = t_new - ti  # negative: the integration runs down in t
        hs = _per_sample(h, yi)
        stages = [fi]
        for c, a in zip(_C[1:], _A[1:]):
            stages.append(rhs(yi + _combine(a, stages) * hs, ti + c * h))
        y_new = yi + hs * _combine(_B, stages)
        stages.append(rhs(y_new, ti + h))
        scale = atol + torch.maximum(yi.abs(), y_new.abs()) * rtol
        err = norm(_combine(_E, stages) * hs / scale)
        _require_finite(err, ti, "in a step", idx)
        accept = err < 1
        grow = torch.where(err == 0, torch.full_like(err, MAX_FACTOR),
                           torch.clamp(SAFETY * err**ERROR_EXPONENT, max=MAX_FACTOR))
        grow = torch.where(retry, torch.clamp(grow, max=1.0), grow)
        shrink = torch.clamp(SAFETY * err**ERROR_EXPONENT, min=MIN_FACTOR)
        keep = _per_sample(accept, yi)
        t[idx] = torch.where(accept, t_new, ti)
        y[idx] = torch.where(keep, y_new, yi)
        f[idx] = torch.where(keep, stages[-1], fi)
        h_abs[idx] = h.abs() * torch.where(accept, grow, shrink)
        retrying[idx] = ~accept
        n_evals[idx] += 6
        n_steps[idx] += accept.long()
        n_rejected[idx] += (~accept).long()
        if int((n_steps + n_rejected).max()) > max_steps:
            raise RuntimeError(f"probability_flow_ode: more than {max_steps} step attempts for a sample")
        active = t > t_end
    if denoise:
        y = denoise_step(sde, score_fn, y, float(t_end))
        n_evals += 1
    return FlowResult(y, n_evals, n_steps, n_rejected)


def probability_flow_samples(sde: LinearSDE, score_fn: ScoreFn, coord_shape: tuple[int, ...], n_samples: int,
                             seed: int, eps: float, rtol: float = 1e-5, atol: float = 1e-5, denoise: bool = False,
                             batch_size: int = 2048, first_index: int = 0, device=None,
                             step_control: str = "per_sample"):
    """n_samples from the stationary prior (per-sample seeds, as reverse_em_samples) pushed through
    the probability-flow ODE from t_max to eps. Returns (x channel (n_samples, *coord_shape) as
    float64 numpy, score evaluations per sample (n_samples,) int64 numpy). With step_control
    "shared" the result depends on batch_size (the batch is one system)."""
    evals = []

    def run(u0, _noise):
        result = probability_flow_ode(sde, score_fn, u0, sde.t_max, eps, rtol, atol, denoise,
                                      step_control=step_control)
        evals.append(result.n_score_evals.cpu().numpy())
        return result.u

    x = generate_samples(sde, coord_shape, n_samples, seed, 0, run, batch_size, first_index, device)
    return x, (np.concatenate(evals) if evals else np.empty(0, dtype=np.int64))
