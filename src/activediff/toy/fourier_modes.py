"""Decay of Fourier modes of the forward kernel (paper A6; docs/theory.md 2.2).

For a point mass at x0, |phat(q, t)| = exp(-q^2 Var_x(t) / 2), so the decay rate of mode q is
(q^2 / 2) dVar_x/dt: constant at small t for passive diffusion, vanishing as t (stationary eta0)
or t^2 (eta0 = 0) for the active process, which is why high modes survive longer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from activediff.diffusion.samplers import forward_em
from activediff.diffusion.sde import LinearSDE


def closed_form(sde: LinearSDE, q_values, times) -> pd.DataFrame:
    times = np.asarray(times, dtype=np.float64)
    var = sde.x_marginal_var(times)
    h = 1e-6 * np.maximum(times, 1e-3)
    dvar = (sde.x_marginal_var(times + h) - sde.x_marginal_var(np.maximum(times - h, 0))) / (
        times + h - np.maximum(times - h, 0))
    rows = [pd.DataFrame({"q": q, "t": times, "log_abs_phat": -0.5 * q**2 * var,
                          "decay_rate_over_q2": 0.5 * dvar}) for q in q_values]
    return pd.concat(rows, ignore_index=True)


def empirical(sde: LinearSDE, q_values, times, x0: float, n_samples: int, seed: int,
              steps_per_unit: int = 4000) -> pd.DataFrame:
    """|mean exp(i q x_t)| over simulated forward paths from x0 (auxiliary channel from its
    initial law), with a delta-method standard error."""
    times = np.sort(np.asarray(times, dtype=np.float64))
    grid = np.unique(np.concatenate([[0.0], times, np.linspace(0, times[-1], int(steps_per_unit * times[-1]) + 1)]))
    record = np.searchsorted(grid, times)
    rng = np.random.default_rng(seed)
    n = sde.n_channels
    u0 = np.zeros((n_samples, n, 1))
    u0[:, 0] = x0
    if n == 2:
        u0[:, 1] = np.sqrt(sde.init_aux_cov[1, 1]) * rng.standard_normal((n_samples, 1))
    noise = torch.from_numpy(rng.standard_normal((len(grid) - 1, n_samples, n, 1)))
    states = forward_em(sde, torch.from_numpy(u0), noise, grid, record).numpy()[:, :, 0, 0]  # (T, N)
    rows = []
    for q in q_values:
        c, s = np.cos(q * states), np.sin(q * states)
        cm, sm = c.mean(1), s.mean(1)
        mod = np.hypot(cm, sm)
        # delta method: d|phi| = (cm dc + sm ds) / |phi|
        var = (cm**2 * c.var(1) + sm**2 * s.var(1) + 2 * cm * sm * ((c - cm[:, None]) * (s - sm[:, None])).mean(1))
        se = np.sqrt(var / n_samples) / np.maximum(mod, 1e-300)
        rows.append(pd.DataFrame({"q": q, "t": times, "abs_phat": mod, "abs_phat_se": se}))
    return pd.concat(rows, ignore_index=True)
