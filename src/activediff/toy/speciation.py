"""Speciation time (paper A8; Biroli et al. 2024; docs/theory.md 6).

Criterion: the curvature of log p_t along the top eigenvector of the data covariance changes sign
when a(t)^2 Lambda = Delta_t, with a(t) the x-coefficient of the kernel mean and Delta_t the
x-variance of the kernel (auxiliary channel integrated out); `criterion_table` tabulates its
solution t_s over a Lambda grid and `marker_table` at the Lambda of each toy set
(`largest_covariance_eigenvalue`). Simulation: reverse trajectories of a
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
from activediff.diffusion.sde import LinearSDE, temperature_matched_passive
from activediff.toy import data as toy

#: Lambda grid of the criterion curves of Fig A8.
LAMBDA_GRID = np.geomspace(0.01, 30, 120)
# Columns of speciation times, nan where it never happens (the criterion never turns, the simulated
# same-basin probability never falls through its level).
NEVER = ("t_s", "t_sim", "t_sim_se", "t_criterion")


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


def largest_covariance_eigenvalue(kind: str, params: dict, seed: int, n_draws: int = 20000) -> float:
    """Lambda = largest eigenvalue of the (centred) data covariance of a toy set of `kind` with
    parameters `params` (without "kind"): exact for a Gaussian-mixture set, otherwise the sample
    covariance of `n_draws` points drawn with toy.data.sample(kind, n_draws, seed, **params)."""
    mixture = toy.mixture_for(kind, **params)
    if mixture is not None:
        cov = mixture.covariance()
    else:
        cov = np.atleast_2d(np.cov(toy.sample(kind, n_draws, seed, **params).T))
    return float(np.linalg.eigvalsh(np.atleast_2d(cov)).max())


def dataset_lambdas(datasets: dict[str, dict], seed: int, n_draws: int = 20000) -> dict[str, float]:
    """{name: Lambda} of toy sets given as {name: {"kind": ..., **params}} (the config's
    toy_datasets entries); every sample-based set is drawn with the same `seed`."""
    lambdas = {}
    for name, params in datasets.items():
        params = dict(params)
        kind = params.pop("kind")
        lambdas[name] = largest_covariance_eigenvalue(kind, params, seed, n_draws)
    return lambdas


def criterion_table(sdes: dict[str, LinearSDE], lambdas=LAMBDA_GRID) -> pd.DataFrame:
    """Columns sde, lambda, t_s: the criterion's speciation time of every process (in the order
    given) at every Lambda of `lambdas` (float64; nan where the curvature never turns)."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    return pd.concat([pd.DataFrame({"sde": name, "lambda": lambdas,
                                    "t_s": [speciation_time(sde, lam) for lam in lambdas]})
                      for name, sde in sdes.items()], ignore_index=True)


def marker_table(sdes: dict[str, LinearSDE], dataset_lambdas: dict[str, float]) -> pd.DataFrame:
    """Columns sde, dataset, lambda, t_s: the criterion's speciation time of each toy set (its
    Lambda from `dataset_lambdas`, e.g. `dataset_lambdas()`) for each process; process-major rows."""
    rows = [{"sde": name, "dataset": ds, "lambda": lam, "t_s": speciation_time(sde, lam)}
            for name, sde in sdes.items() for ds, lam in dataset_lambdas.items()]
    return pd.DataFrame(rows, columns=["sde", "dataset", "lambda", "t_s"])


def same_basin_probability(sde: LinearSDE, mean: float, std: float, clone_times, n_traj: int, n_steps: int,
                           seed: int, eps: float = 1e-3) -> pd.DataFrame:
    """phi(t_c) = P(two clones made at forward time t_c end with the same sign of x)."""
    mix = toy.multigaussian_mixture(mean=mean, std=std, dim=1)
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


def matched_control_times(active: LinearSDE, passive: LinearSDE, markers: pd.DataFrame) -> pd.DataFrame:
    """t_s of the temperature-matched passive process (diffusion.sde.temperature_matched_passive)
    at each dataset's Lambda of a marker table: the control beside the paper's passive process."""
    control = temperature_matched_passive(active)
    lambdas = markers.drop_duplicates("dataset")[["dataset", "lambda"]]
    return pd.DataFrame({"dataset": lambdas["dataset"].to_numpy(), "lambda": lambdas["lambda"].to_numpy(),
                         "T": control.T, "t_s": [speciation_time(control, lam) for lam in lambdas["lambda"]]})

