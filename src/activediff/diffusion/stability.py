"""Linear stability of Euler-Maruyama on the reverse SDE (docs/theory.md 10).

Near a Gaussian component N(m, C_t) of p_t the reverse drift -f + beta D s is linear in u with
Jacobian J_t = beta(t) (-A - D C_t^{-1}) (A, D the SDE's drift and noise matrices, per coordinate).
One Euler step of size h multiplies a deviation along an eigenvector of J by 1 + h lambda. A mode
that the reverse dynamics contracts (Re lambda < 0) is amplified instead when |1 + h lambda| > 1,
i.e. past the stability limit h |lambda| > 2 for a real lambda: the sampler then diverges along it.
Modes with Re lambda >= 0 (the noise-free x channel of the active process with Tp = 0 expands in
reverse time) grow under the exact dynamics too and are not counted.
"""

from __future__ import annotations

import numpy as np

from activediff.diffusion.scores import GaussianMixture, pushforward
from activediff.diffusion.sde import LinearSDE


def em_amplification(sde: LinearSDE, mix: GaussianMixture, t_grid: np.ndarray) -> float:
    """Largest |1 + h lambda| over the contracting eigenvalues lambda of the reverse drift's
    Jacobian at every component of p_t, over the steps (t_i -> t_{i+1}, score at t_i) of a
    decreasing time grid. <= 1: every step is linearly stable; > 1: Euler-Maruyama amplifies a
    mode the exact reverse dynamics contracts."""
    eye = np.eye(mix.dim)
    A, D = np.kron(sde.drift_matrix, eye), np.kron(sde.diffusion_matrix, eye)
    worst = 0.0
    for t, t_next in zip(t_grid[:-1], t_grid[1:]):
        h = float(t - t_next)
        _, _, covs = pushforward(mix, sde, float(t))
        jac = float(sde.beta(t)) * (-A[None] - D[None] @ np.linalg.inv(covs))
        lam = np.linalg.eigvals(jac).ravel()
        lam = lam[lam.real < 0]
        if lam.size:
            worst = max(worst, float(np.abs(1 + h * lam).max()))
    return worst


def gaussian_fit(points: np.ndarray) -> GaussianMixture:
    """One Gaussian with the points' mean and covariance: the linearisation used for data sets
    without a closed-form mixture (it sees only the data's overall scale, not its fine structure)."""
    points = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    cov = np.atleast_2d(np.cov(points.T))
    return GaussianMixture(np.ones(1), points.mean(0)[None], cov[None])
