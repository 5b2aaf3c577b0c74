"""Speciation time (paper A8; Biroli et al. 2024; docs/theory.md 6).

Criterion: the curvature of log p_t along the top eigenvector of the data covariance changes sign
when a(t)^2 Lambda = Delta_t, with a(t) the x-coefficient of the kernel mean and Delta_t the
x-variance of the kernel (auxiliary channel integrated out). Simulation: reverse trajectories of a
symmetric two-Gaussian set driven by the exact score are cloned at time t_c and continued with
independent noise; the probability that both clones end in the same basin rises from 1/2 to 1 as
t_c decreases, and the time where it crosses 3/4 is the simulated speciation time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.optimize import brentq

from activediff.diffusion.samplers import euler_maruyama, time_grid
from activediff.diffusion.scores import exact_score_fn
from activediff.toy.data import multigaussian_mixture
from activediff.diffusion.sde import LinearSDE


def criterion_gap(sde: LinearSDE, lam: float, t):
    a = sde.mean_coeff(t)[..., 0]
    return a**2 * lam - sde.x_marginal_var(t)


def speciation_time(sde: LinearSDE, lam: float, t_hi: float | None = None) -> float:
    """Forward (code) time t_s solving a(t)^2 Lambda = Delta_t; nan if the curvature never turns."""
    t_hi = t_hi or 10 * sde.t_max
    grid = np.geomspace(1e-7, t_hi, 400)
    gap = criterion_gap(sde, lam, grid)
    sign_change = np.flatnonzero((gap[:-1] > 0) & (gap[1:] <= 0))
    if len(sign_change) == 0:
        return float("nan")
    i = sign_change[-1]
    return float(brentq(lambda t: float(criterion_gap(sde, lam, t)), grid[i], grid[i + 1], xtol=1e-12))


def same_basin_probability(sde: LinearSDE, mean: float, std: float, clone_times, n_traj: int, n_steps: int,
                           seed: int, eps: float = 1e-3) -> pd.DataFrame:
    """phi(t_c) = P(two clones made at forward time t_c end with the same sign of x)."""
    mix = multigaussian_mixture(mean=mean, std=std, dim=1)
    score_fn = exact_score_fn(mix, sde)
    grid = time_grid(sde.t_max, eps, n_steps)
    rng = np.random.default_rng(seed)
    n = sde.n_channels
    u = sde.prior_sample(torch.from_numpy(rng.standard_normal((n_traj, n, 1))))
    rows, done = [], 0
    for t_c in sorted(clone_times, reverse=True):
        i_c = int(np.argmin(np.abs(grid - t_c)))
        noise = torch.from_numpy(rng.standard_normal((i_c - done, n_traj, n, 1)))
        u = euler_maruyama(sde, score_fn, u, noise, grid[done:i_c + 1])
        done = i_c
        pair = torch.cat([u, u])
        rest = torch.from_numpy(rng.standard_normal((len(grid) - 1 - i_c, 2 * n_traj, n, 1)))
        end = euler_maruyama(sde, score_fn, pair, rest, grid[i_c:])[:, 0, 0].numpy()
        same = np.sign(end[:n_traj]) == np.sign(end[n_traj:])
        p = same.mean()
        rows.append(dict(t_clone=float(grid[i_c]), same_basin=p, same_basin_se=np.sqrt(p * (1 - p) / n_traj)))
    return pd.DataFrame(rows).sort_values("t_clone", ignore_index=True)


def crossing_time(curve: pd.DataFrame, level: float = 0.75) -> float:
    """Forward time where phi(t_c) falls through `level` (linear interpolation); nan if it does not."""
    t, p = curve["t_clone"].to_numpy(), curve["same_basin"].to_numpy()
    below = np.flatnonzero((p[:-1] >= level) & (p[1:] < level))
    if len(below) == 0:
        return float("nan")
    i = below[0]
    return float(t[i] + (level - p[i]) * (t[i + 1] - t[i]) / (p[i + 1] - p[i]))
