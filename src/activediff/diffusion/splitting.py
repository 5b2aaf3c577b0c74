"""Splitting samplers: an exact linear-Gaussian step around an Euler score step (docs/theory.md 3).

In reverse time the reverse SDE of any process of the family is du = beta [-A u + D s] ds +
sqrt(beta D) dW. Adding and subtracting the prior score -Sigma_inf^{-1} u splits it into

    L (linear, exact):  du = beta Abar u ds + sqrt(beta D) dW,     Abar = -A - D Sigma_inf^{-1},
    S (score, Euler):   du = beta D (s(u, t) + Sigma_inf^{-1} u) ds.

L is an Ornstein-Uhlenbeck process that leaves the prior N(0, Sigma_inf) invariant
(Abar Sigma + Sigma Abar^T + D = 0 follows from A Sigma + Sigma A^T + D = 0), and S vanishes when
the score is the prior's. Over a reverse-time interval with int beta = d, L is Gaussian with mean
e^{Abar d} u and covariance Q(d) = int_0^d e^{Abar r} D e^{Abar^T r} dr, at any beta(t) (a time
change). One step of size delta is L(delta/2) S(delta) L(delta/2) (Strang).

For CLD this is exactly SSCS (Dockhorn et al. 2021): L is dx = -beta M^-1 v, dv = beta (x -
Gamma M^-1 v) + noise and S is dv = 2 Gamma beta (s_v + M^-1 v). `sscs_linear_step` gives its
closed form from the original nv-tlabs formulas; `exact_linear_step` the generic one (matrix
exponential and Van Loan's block exponential), used for the active process. Do not use the
authors' fork's SSCS: it takes the forward kernel at negative beta-time, an anti-damped mean.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import scipy.linalg
import torch

from activediff.diffusion.linalg import apply, as_array, cholesky
from activediff.diffusion.samplers import ScoreFn, denoise_step, generate_samples, reverse_time_grid
from activediff.diffusion.sde import CLD, LinearSDE

LinearStep = Callable[[LinearSDE, float], tuple[np.ndarray, np.ndarray]]


def linear_drift_matrix(sde: LinearSDE) -> np.ndarray:
    """Abar = -A - D Sigma_inf^{-1}: the drift matrix (per unit beta, reverse time) of the L part."""
    return -sde.drift_matrix - sde.diffusion_matrix @ np.linalg.inv(sde.stationary_cov())


def exact_linear_step(sde: LinearSDE, d: float) -> tuple[np.ndarray, np.ndarray]:
    """(F, Q) = (e^{Abar d}, Q(d)) of the L part over beta-time d. Van Loan's block exponential
    expm([[-Abar, D], [0, Abar^T]] h) = [[., F^{-1} Q], [0, F^T]] at h = d / 2^k with |Abar| h <= 1
    (at large h its blocks grow as e^{|Abar| h} and Q cancels), then k doublings
    Q(2h) = Q(h) + F(h) Q(h) F(h)^T, F(2h) = F(h)^2 (sums of positive terms)."""
    abar, D = linear_drift_matrix(sde), sde.diffusion_matrix
    n = len(abar)
    k = max(0, math.ceil(math.log2(max(np.linalg.norm(abar, 1) * d, 1e-300))))
    G = scipy.linalg.expm(np.block([[-abar, D], [np.zeros((n, n)), abar.T]]) * (d / 2**k))
    F = G[n:, n:].T
    Q = F @ G[:n, n:]
    for _ in range(k):
        Q = Q + F @ Q @ F.T
        F = F @ F
    return F, 0.5 * (Q + Q.T)


def sscs_linear_step(sde: CLD, d: float) -> tuple[np.ndarray, np.ndarray]:
    """(mean matrix, covariance) of SSCS's analytic half step for CLD over beta-time d, in closed
    form (docs/theory.md 3, nv-tlabs/CLD-SGM): the forward CLD kernel applied to (x, -v)."""
    if not isinstance(sde, CLD):
        raise ValueError(f"SSCS's closed-form step is for CLD only, got {sde.name}; use exact_linear_step")
    G = sde.Gamma
    e2, e4 = math.exp(-2 * d / G), math.exp(-4 * d / G)
    mean = e2 * np.array([[1 + 2 * d / G, -4 * d / G**2], [d, 1 - 2 * d / G]])
    z = 4 * d / G
    # e^{4d/G} - 1 - 4d/G - 8d^2/G^2 = e^z - 1 - z - z^2/2: summed as a series at small z (no cancellation).
    remainder = sum(z**n / math.factorial(n) for n in range(3, 30)) if z < 1 else math.expm1(z) - z - z**2 / 2
    sxx = e4 * remainder
    sxv = -e4 * 4 * d**2 / G
    svv = e4 * (G**2 * math.expm1(z) / 4 + G * d - 2 * d**2)
    return mean, np.array([[sxx, sxv], [sxv, svv]])


def splitting_sampler(sde: LinearSDE, score_fn: ScoreFn, u_init: torch.Tensor, step_noise: torch.Tensor,
                      t_grid: np.ndarray, linear_step: LinearStep = exact_linear_step,
                      denoise: bool = False) -> torch.Tensor:
    """Integrate the reverse SDE from t_grid[0] down to t_grid[-1] with L(delta/2) S(delta) L(delta/2).

    step_noise: (2 * n_steps, batch, n, *coords) standard normals, two per step (one per L half step).
    The score step evaluates the score (and beta) at the step's start time t_i, as nv-tlabs SSCS
    does (the midpoint t_i - delta/2 was not better on Gaussian data: smaller variance error,
    larger mean error). With denoise, a last drift-only reverse step of size t_grid[-1] returns the
    mean (as euler_maruyama)."""
    sigma_inv = as_array(np.linalg.inv(sde.stationary_cov()), u_init)
    D = as_array(sde.diffusion_matrix, u_init)
    cache: dict[float, tuple[torch.Tensor, torch.Tensor]] = {}

    def half_step(u, t_from, t_to, noise):
        d = float(sde.B(t_from) - sde.B(t_to))
        if d not in cache:
            mean, cov = linear_step(sde, d)
            cache[d] = (as_array(mean, u), as_array(cholesky(np.asarray(cov)), u))
        mean, chol = cache[d]
        return apply(mean, u) + apply(chol, noise)

    u = u_init
    for i in range(len(t_grid) - 1):
        t, t_next = float(t_grid[i]), float(t_grid[i + 1])
        t_mid = 0.5 * (t + t_next)
        u = half_step(u, t, t_mid, step_noise[2 * i])
        push = score_fn(u, t) + apply(sigma_inv, u)
        u = u + (t - t_next) * float(sde.beta(t)) * apply(D, push)
        u = half_step(u, t_mid, t_next, step_noise[2 * i + 1])
    if denoise:
        u = denoise_step(sde, score_fn, u, float(t_grid[-1]))
    return u


def sscs(sde: CLD, score_fn: ScoreFn, u_init: torch.Tensor, step_noise: torch.Tensor, t_grid: np.ndarray,
         denoise: bool = False) -> torch.Tensor:
    """Symmetric splitting CLD sampler (Dockhorn et al. 2021) with its closed-form analytic step."""
    return splitting_sampler(sde, score_fn, u_init, step_noise, t_grid, sscs_linear_step, denoise)


def splitting_samples(sde: LinearSDE, score_fn: ScoreFn, coord_shape: tuple[int, ...], n_samples: int, seed: int,
                      dt: float, eps: float, denoise: bool = False, closed_form_cld: bool = True,
                      batch_size: int = 2048, first_index: int = 0, device=None,
                      grid: str = "authors_nn") -> np.ndarray:
    """n_samples from the stationary prior with the splitting sampler on the same grid as
    reverse_em_samples (samplers.reverse_time_grid); per-sample seeds, so sample i starts from the
    same prior draw as in reverse_em_samples. CLD uses SSCS's closed form unless closed_form_cld
    is False. Returns the x channel (n_samples, *coord_shape) as float64 numpy."""
    grid = reverse_time_grid(sde.t_max, dt, grid, eps, denoise)
    n_steps = len(grid) - 1
    step = sscs_linear_step if (closed_form_cld and isinstance(sde, CLD)) else exact_linear_step
    return generate_samples(
        sde, coord_shape, n_samples, seed, 2 * n_steps,
        lambda u0, noise: splitting_sampler(sde, score_fn, u0, noise, grid, step, denoise),
        batch_size, first_index, device)
