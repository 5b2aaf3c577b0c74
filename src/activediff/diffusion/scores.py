"""Exact score of a Gaussian mixture pushed through any of the linear SDEs (docs/theory.md 4).

Data p_0(x) = sum_i w_i N(x; mu_i, S_i) in R^d. At time t the state u = (x, aux) in R^{n d}
(channel-first, flattened as (channel, coordinate)) is again a mixture with

    means  m_i = E(t)[:, 0] (x) mu_i,
    covs   C_i = (E(t)[:, 0] E(t)[:, 0]^T) (x) S_i + Sigma(t) (x) I_d,

where E is the propagator and Sigma(t) = cov(t) the per-coordinate kernel covariance given x_0
(the auxiliary channel drawn from its initial law). One generic formula serves all three
processes. Computed in float64 torch with Cholesky factors and logsumexp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import ndtr

from activediff.diffusion.sde import LinearSDE


@dataclass(frozen=True)
class GaussianMixture:
    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, d)
    covs: np.ndarray  # (K, d, d)

    @classmethod
    def isotropic(cls, weights, means, std) -> "GaussianMixture":
        means = np.asarray(means, dtype=np.float64)
        K, d = means.shape
        return cls(np.asarray(weights, dtype=np.float64), means, np.tile(std**2 * np.eye(d), (K, 1, 1)))

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        comp = rng.choice(len(self.weights), size=n, p=self.weights)
        return self._place(comp, rng.standard_normal((n, self.dim)))

    def from_normals(self, z_choice: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Draws from standard normals: the component by inverse CDF of Phi(z_choice), then
        mean + chol(cov) z. Each row depends only on its own normals (batch-independent)."""
        comp = np.minimum(np.searchsorted(np.cumsum(self.weights), ndtr(z_choice)), len(self.weights) - 1)
        return self._place(comp, z)

    def _place(self, comp: np.ndarray, z: np.ndarray) -> np.ndarray:
        return self.means[comp] + np.einsum("nij,nj->ni", np.linalg.cholesky(self.covs)[comp], z)

    def covariance(self) -> np.ndarray:
        """Covariance of the whole mixture (d, d)."""
        mean = self.weights @ self.means
        centred = self.means - mean
        return np.einsum("k,kij->ij", self.weights, self.covs) + np.einsum("k,ki,kj->ij", self.weights, centred, centred)


def _pushforward(mix: GaussianMixture, sde: LinearSDE, t: torch.Tensor, channels=None):
    """Means (T, K, m) and covariances (T, K, m, m) of p_t's components at times t (T,), over the
    flattened state (channel, coordinate), optionally restricted to some channels."""
    opts = dict(dtype=torch.float64, device=t.device)
    d, n, K = mix.dim, sde.n_channels, len(mix.weights)
    e0 = sde.propagator(t)[..., :, 0]  # (T, n)
    sigma = sde.cov(t)  # (T, n, n)
    mu, cov0 = torch.as_tensor(mix.means, **opts), torch.as_tensor(mix.covs, **opts)
    means = torch.einsum("ta,kp->tkap", e0, mu).reshape(-1, K, n * d)
    covs = (torch.einsum("ta,tb,kpq->tkapbq", e0, e0, cov0)
            + torch.einsum("tab,pq->tapbq", sigma, torch.eye(d, **opts))[:, None]).reshape(-1, K, n * d, n * d)
    if channels is not None:
        idx = torch.cat([torch.arange(c * d, (c + 1) * d, device=t.device) for c in channels])
        means, covs = means[..., idx], covs[..., idx, :][..., idx]
    return means, covs


def pushforward(mix: GaussianMixture, sde: LinearSDE, t: float, channels=None):
    """(log weights (K,), means (K, m), covs (K, m, m)) of p_t at one time, as numpy arrays."""
    means, covs = _pushforward(mix, sde, torch.tensor([float(t)], dtype=torch.float64), channels)
    return np.log(mix.weights), means[0].numpy(), covs[0].numpy()


def prepare(mix: GaussianMixture, sde: LinearSDE, t, channels=None, device="cpu"):
    """Per-time quantities of p_t at a float time (leading dim 1) or per-sample times (N,):
    (log normaliser of each component (T, K), means (T, K, m), inverse Cholesky factors (T, K, m, m))."""
    t = torch.as_tensor(t, dtype=torch.float64, device=device).reshape(-1)
    means, covs = _pushforward(mix, sde, t, channels)
    chol = torch.linalg.cholesky(covs)
    eye = torch.eye(chol.shape[-1], dtype=torch.float64, device=device).expand_as(chol)
    inv_chol = torch.linalg.solve_triangular(chol, eye, upper=False)
    m = means.shape[-1]
    logw = torch.log(torch.as_tensor(mix.weights, dtype=torch.float64, device=device))
    log_norm = logw - torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1) - 0.5 * m * np.log(2 * np.pi)
    return log_norm, means, inv_chol


def _terms(prepared, u):
    log_norm, means, inv_chol = prepared
    flat = u.reshape(u.shape[0], -1).to(torch.float64)
    diff = flat[:, None, :] - means  # (N, K, m); means broadcast from (1, K, m) or (N, K, m)
    y = (inv_chol @ diff[..., None])[..., 0]  # whitened residuals L^-1 (u - m_i)
    return log_norm - 0.5 * (y**2).sum(-1), y


def log_density(mix: GaussianMixture, sde: LinearSDE, u: torch.Tensor, t, channels=None) -> torch.Tensor:
    """log p_t(u) for u of shape (N, n, d) (or (N, len(channels), d)); t a float or (N,) times."""
    log_comp, _ = _terms(prepare(mix, sde, t, channels, u.device), u)
    return torch.logsumexp(log_comp, dim=1)


def _score(prepared, u):
    log_comp, y = _terms(prepared, u)
    resp = torch.softmax(log_comp, dim=1)  # (N, K)
    prec_diff = (prepared[2].transpose(-1, -2) @ y[..., None])[..., 0]  # L^-T L^-1 (u - m_i) = C_i^-1 (u - m_i)
    return -(resp[..., None] * prec_diff).sum(1).reshape(u.shape).to(u.dtype)


def score(mix: GaussianMixture, sde: LinearSDE, u: torch.Tensor, t, channels=None) -> torch.Tensor:
    """grad_u log p_t(u), same shape and dtype as u: sum_i r_i(u) [-C_i^{-1} (u - m_i)];
    t a float or per-sample times (N,)."""
    return _score(prepare(mix, sde, t, channels, u.device), u)


def exact_score_fn(mix: GaussianMixture, sde: LinearSDE, channels=None):
    """A score function s(u, t) for every sampler: t a float (fixed-step samplers; per-time
    quantities cached, since they revisit the same grid) or per-sample times (adaptive ODE)."""
    cache: dict[tuple[float, str], tuple] = {}

    def score_fn(u, t):
        if isinstance(t, torch.Tensor) and t.numel() > 1:
            return score(mix, sde, u, t, channels)
        key = (float(t), str(u.device))
        if key not in cache:
            cache[key] = prepare(mix, sde, float(t), channels, u.device)
        return _score(cache[key], u)

    return score_fn
