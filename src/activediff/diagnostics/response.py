"""Response functions from a score: the generalized fluctuation-dissipation theorem (docs/theory.md 7.1).

For a stationary Markov process u(t) in R^n with invariant density rho and score s = grad log rho,
the response of <u(t)> to an impulsive kick of u(0) is (Giorgini et al. 2024)

    R(t) = d<u(t)>/du(0) = -< u(t) s(u(0))^T >,

valid without detailed balance. Four routes are compared on the same stationary time series:
  - score-GFDT with the exact score or a learned one (`gfdt_response`);
  - the Gaussian (quasi-Gaussian) approximation R_G(t) = C(t) C(0)^{-1} (`gaussian_response`);
  - the kick experiment (`kick_response`): copies kicked by +-eps e_j, integrated with identical
    noise, R_ij ~ <u_i^{+j}(t) - u_i^{-j}(t)> / (2 eps) (central difference, error O(eps^2));
  - for linear processes, the exact R(t) = e^{At}.

Two test processes (`StationaryProcess`):
  - `langevin_mixture`: overdamped Langevin du = D s(u) dt + sqrt(2D) dW in the potential of a
    Gaussian mixture (its invariant density is the mixture). Euler-Maruyama, so the discrete
    chain's invariant density differs from the mixture by O(D dt / component variance): keep
    that ratio small (the kicks measure the discrete chain, the GFDT assumes the mixture).
  - `linear_ou`: a stationary linear SDE du = A u dt + G dW (e.g. the active OU process),
    advanced with its exact Gaussian transition (no discretisation error), score -Sigma^{-1} u.

Randomness: chain/sample i draws its initial state and every step's noise from its own streams
(Philox sub-streams 0 and 1 of (seed, i)), so results do not depend on how chains are batched. Errors: chains
are independent blocks; standard errors are jackknife (leave one chain out) estimates.
Everything is float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from activediff.diffusion import philox
from activediff.diffusion.linalg import cholesky
from activediff.diffusion.scores import GaussianMixture, exact_score_fn, pushforward
from activediff.diffusion.samplers import step_major
from activediff.diffusion.sde import LinearSDE, Passive

F64 = torch.float64


@dataclass(frozen=True)
class StationaryProcess:
    """A stationary Markov chain on R^dim with a known invariant density.

    step(u, z): next state from states u (N, dim) and standard normal noise z (N, dim);
    score(u): exact score of the invariant density; sample(z_choice, z): stationary draws from
    standard normals z_choice (N,) and z (N, dim); dt: time per step."""

    name: str
    dim: int
    dt: float
    step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    score: Callable[[torch.Tensor], torch.Tensor]
    sample: Callable[[np.ndarray, np.ndarray], np.ndarray]


def mixture_score(mix: GaussianMixture) -> Callable[[torch.Tensor], torch.Tensor]:
    """Score of the mixture itself, (N, d) -> (N, d): the exact GMM score at t = 0 (any process
    leaves p_0 unchanged at t = 0)."""
    fn = exact_score_fn(mix, Passive())
    return lambda u: fn(u[:, None, :].to(F64), 0.0)[:, 0, :]


def smoothed_mixture(mix: GaussianMixture, sde: LinearSDE, t: float) -> GaussianMixture:
    """The x-marginal p_t of data `mix` under the passive process at time t (a Gaussian mixture
    with means a mu_i and covariances a^2 S_i + Delta_t I). At t = sampling eps this is the
    density whose score a passive diffusion model learns at its smallest time ("data * N(0,
    small)" of docs/theory.md 7.1), so its score is the exact counterpart of the learned one."""
    if sde.n_channels != 1:
        raise ValueError(f"smoothed_mixture needs the passive process, got {sde!r}")
    logw, means, covs = pushforward(mix, sde, t)
    return GaussianMixture(np.exp(logw), means, covs)


def langevin_mixture(mix: GaussianMixture, D: float, dt: float) -> StationaryProcess:
    """Overdamped Langevin du = D s(u) dt + sqrt(2 D) dW, Euler-Maruyama with step dt."""
    score = mixture_score(mix)
    noise = float(np.sqrt(2 * D * dt))

    def step(u, z):
        return u + D * dt * score(u) + noise * z

    return StationaryProcess("langevin_mixture", mix.dim, float(dt), step, score,
                             mix.from_normals)


def linear_ou(sde: LinearSDE, dt: float) -> StationaryProcess:
    """One coordinate of a linear SDE du = A u dt + G dW in physical time (B of the SDE's time
    change), stationary, advanced with its exact transition e^{A dt}, chol(M(dt))."""
    if sde.beta1 != 0:
        raise ValueError("linear_ou needs a constant beta (physical time B = beta t)")
    t = np.float64(dt / sde.beta0)
    F = torch.as_tensor(sde.propagator(t), dtype=F64)
    L = torch.as_tensor(cholesky(sde.noise_cov(t)), dtype=F64)
    sigma = sde.stationary_cov()
    precision = torch.as_tensor(np.linalg.inv(sigma), dtype=F64)
    chol_sigma = np.linalg.cholesky(sigma)
    return StationaryProcess(f"linear_ou_{sde.name}", sde.n_channels, float(dt),
                             lambda u, z: u @ F.T + z @ L.T, lambda u: -u.to(F64) @ precision,
                             lambda zc, z: z @ chol_sigma.T)


def exact_response(sde: LinearSDE, times: np.ndarray) -> np.ndarray:
    """R(t) = e^{A t} of a linear SDE at physical times t, (T, n, n), by the matrix exponential
    (scipy expm: a route independent of the SDE's closed-form propagator)."""
    from scipy.linalg import expm

    return np.stack([expm(sde.drift_matrix * float(t)) for t in times])


# -- noise and simulation ------------------------------------------------------------------------

def _initial_normals(seed: int, indices, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Chain i's initial draws: sub-stream 0 of its Philox stream (seed, i)."""
    draws = philox.normals(seed, np.asarray(indices), dim + 1, stream=0)
    return draws[:, 0], draws[:, 1:]


def stationary_initial(process: StationaryProcess, seed: int, indices) -> torch.Tensor:
    """Stationary initial states (N, dim) for the given chain indices."""
    z_choice, z = _initial_normals(seed, indices, process.dim)
    return torch.as_tensor(process.sample(z_choice, z), dtype=F64)


def simulate(process: StationaryProcess, u0: torch.Tensor, seed: int, indices, n_steps: int,
             record_every: int, copies: int = 1, block: int = 512) -> torch.Tensor:
    """Run chains from u0 ((copies * N, dim), copy-major: rows c*N + i share chain i's noise) for
    n_steps steps; returns the states every record_every steps, including the start:
    (copies * N, n_steps // record_every + 1, dim)."""
    indices = np.asarray(list(indices))
    out, u, done = [u0.to(F64)], u0.to(F64), 0
    while done < n_steps:   # chain i's step noise: sub-stream 1 of its stream, block after block
        m = min(block, n_steps - done)
        z = philox.normals(seed, indices, m * process.dim, stream=1, first=done * process.dim)
        z = torch.as_tensor(step_major(z.reshape(len(indices), m, process.dim)))
        z = z.repeat(1, copies, 1)
        for k in range(m):
            u = process.step(u, z[k])
            if (done + k + 1) % record_every == 0:
                out.append(u)
        done += m
    return torch.stack(out, 1)


def kick_response(process: StationaryProcess, seed: int, n_samples: int, n_steps: int, record_every: int,
                  kick: float, first_index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Kick experiment: stationary starts, copies kicked by +-kick along each axis j, identical
    noise. Returns (R (T, dim, dim), standard error (T, dim, dim)); R[:, i, j] = d<u_i>/du_j(0)."""
    idx = range(first_index, first_index + n_samples)
    u0 = stationary_initial(process, seed, idx)
    eye = torch.eye(process.dim, dtype=F64)
    starts = torch.cat([u0 + sign * kick * eye[j] for j in range(process.dim) for sign in (1.0, -1.0)])
    traj = simulate(process, starts, seed, idx, n_steps, record_every, copies=2 * process.dim)
    traj = traj.reshape(process.dim, 2, n_samples, traj.shape[1], process.dim).numpy()
    diff = (traj[:, 0] - traj[:, 1]) / (2 * kick)  # (j, N, T, i)
    R = diff.mean(1).transpose(1, 2, 0)
    se = (diff.std(1, ddof=1) / np.sqrt(n_samples)).transpose(1, 2, 0)
    return R, se


# -- estimators from time series ------------------------------------------------------------------

def lagged_sums(x: np.ndarray, y: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Per chain sum_n x[n + lag] y[n]^T for lag = 0..max_lag: x, y (C, T, dim) ->
    (sums (C, max_lag + 1, dim, dim), counts (max_lag + 1,))."""
    C, T, dim = x.shape
    if max_lag >= T:
        raise ValueError(f"max_lag {max_lag} must be below the records per chain ({T})")
    sums = np.stack([np.einsum("cni,cnj->cij", x[:, lag:], y[:, :T - lag]) for lag in range(max_lag + 1)], 1)
    return sums, np.arange(T, T - max_lag - 1, -1, dtype=np.float64)


def jackknife(per_chain: list[np.ndarray], counts: list[np.ndarray], estimator) -> tuple[np.ndarray, np.ndarray]:
    """estimator(*means) from per-chain sums (each (C, ...)) and counts, with its leave-one-chain-out
    jackknife standard error. Returns (estimate, se)."""
    C = per_chain[0].shape[0]
    if C < 2:
        raise ValueError("jackknife needs at least two chains")
    totals = [s.sum(0) for s in per_chain]
    full = estimator(*[t / (C * n[..., None, None]) for t, n in zip(totals, counts)])
    loo = np.stack([estimator(*[(t - s[c]) / ((C - 1) * n[..., None, None])
                                for t, s, n in zip(totals, per_chain, counts)]) for c in range(C)])
    se = np.sqrt((C - 1) / C * ((loo - loo.mean(0)) ** 2).sum(0))
    return full, se


def gfdt_response(traj: np.ndarray, scores: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Score-GFDT R(lag) = -<(u(t + lag) - mean) s(u(t))^T> over all chains and start times;
    traj and scores (C, T, dim). Centring removes the bias of a score with nonzero mean."""
    centred = traj - traj.mean((0, 1))
    sums, counts = lagged_sums(centred, scores, max_lag)
    return jackknife([sums], [counts], lambda m: -m)


def gaussian_response(traj: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Quasi-Gaussian GFDT R_G(lag) = C(lag) C(0)^{-1}, C the lagged covariance (C, T, dim)."""
    centred = traj - traj.mean((0, 1))
    sums, counts = lagged_sums(centred, centred, max_lag)
    return jackknife([sums], [counts], lambda m: m @ np.linalg.inv(m[0]))


def relative_l2(estimate: np.ndarray, reference: np.ndarray) -> float:
    """||estimate - reference|| / ||reference||, Frobenius norm over times and matrix entries."""
    return float(np.linalg.norm(estimate - reference) / np.linalg.norm(reference))


def relative_l2_jackknife(traj: np.ndarray, scores: np.ndarray | None, max_lag: int,
                          reference: np.ndarray) -> tuple[float, float]:
    """Relative L2 error of the score-GFDT (scores given) or Gaussian (scores None) response
    against a reference (max_lag + 1, dim, dim), with its jackknife standard error over chains
    (the reference's own noise is not included)."""
    centred = traj - traj.mean((0, 1))
    if scores is None:
        sums, counts = lagged_sums(centred, centred, max_lag)
        est = lambda m: m @ np.linalg.inv(m[0])  # noqa: E731
    else:
        sums, counts = lagged_sums(centred, scores, max_lag)
        est = lambda m: -m  # noqa: E731
    err = lambda m: np.array(relative_l2(est(m), reference))  # noqa: E731
    value, se = jackknife([sums], [counts], err)
    return float(value), float(se)
