"""How fast the score changes along diffusion time (paper section IV's hypothesis that the active
score varies more slowly, which would make it easier to learn and to integrate).

For the exact mixture score restricted to the channels that carry noise (the ones a model learns,
LinearSDE.scored_channels), at each forward time t on a log grid:

    V(t) = E_{u ~ p_t} |d s(u, t) / d ln t|^2  /  E_{u ~ p_t} |s(u, t)|^2,

the squared relative rate of change of the score per e-fold of time at fixed u (central
differences in t; scale-free, so processes and times compare). The summary is the mean of V over ln t, R = int V d ln t / int d ln t, with a standard error from the
delta method per time, added in quadrature (the times use independent draws).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from activediff.diffusion.scores import GaussianMixture, exact_score_fn
from activediff.diffusion.sde import LinearSDE


def score_time_variation(mix: GaussianMixture, sde: LinearSDE, times, n: int, seed: int,
                         rel_step: float = 1e-3) -> pd.DataFrame:
    """Per time t: V(t) and its standard error from n draws of p_t (see the module docstring)."""
    score = exact_score_fn(mix, sde)
    channels = list(sde.scored_channels)
    rng = np.random.default_rng(seed)
    rows = []
    for t in np.asarray(times, dtype=np.float64):
        x0 = torch.from_numpy(mix.sample(n, rng))
        noise = torch.from_numpy(rng.standard_normal((n, sde.n_channels, mix.dim)))
        u = sde.perturb(x0, float(t), noise)
        h = rel_step * t
        ds = t * (score(u, float(t + h)) - score(u, float(t - h)))[:, channels] / (2 * h)
        a = ds.pow(2).sum((1, 2)).numpy()
        b = score(u, float(t))[:, channels].pow(2).sum((1, 2)).numpy()
        ratio = a.mean() / b.mean()
        # delta method for a ratio of means
        cov = np.cov(a, b)
        var = (cov[0, 0] / b.mean() ** 2 - 2 * ratio * cov[0, 1] / b.mean() ** 2
               + ratio**2 * cov[1, 1] / b.mean() ** 2) / n
        rows.append(dict(sde=sde.name, t=float(t), variation=float(ratio), variation_se=float(np.sqrt(max(var, 0.0)))))
    return pd.DataFrame(rows)


def log_time_mean(table: pd.DataFrame) -> tuple[float, float]:
    """(R, its standard error): the mean of V over ln t by the trapezoid rule."""
    lt = np.log(table["t"].to_numpy())
    weights = np.zeros_like(lt)
    weights[1:] += np.diff(lt) / 2
    weights[:-1] += np.diff(lt) / 2
    weights /= lt[-1] - lt[0]
    return float(weights @ table["variation"].to_numpy()), float(np.sqrt(weights**2 @ table["variation_se"] ** 2))
