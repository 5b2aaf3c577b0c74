"""Exact mixture scores against finite differences and quadrature of the exact log-density."""

import numpy as np
import pytest
import torch

from activediff.diffusion.scores import GaussianMixture, exact_score_fn, log_density, pushforward, score
from activediff.diffusion.sde import make_sde
from activediff.toy.data import diamond_mixture, multigaussian_mixture

SDES = {
    "passive": dict(k=1.0, T=1.0),
    "active": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="stationary"),
    "active_zero": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="zero"),
    "active_thermal": dict(k=1.0, tau=0.5, Tp=0.3, Ta=1.0),
    "cld": dict(m_inv=4.0, gamma=0.04),
}


def build(key):
    return make_sde(key.split("_")[0], **SDES[key])


def anisotropic_mixture():
    covs = np.array([[[0.05, 0.02], [0.02, 0.03]], [[0.01, 0.0], [0.0, 0.08]], [[0.02, -0.01], [-0.01, 0.02]]])
    return GaussianMixture(np.array([0.2, 0.5, 0.3]), np.array([[0.4, -0.3], [-0.5, 0.1], [0.0, 0.6]]), covs)


@pytest.mark.parametrize("key", list(SDES))
@pytest.mark.parametrize("t", [2e-3, 0.05, 0.6])
def test_score_is_gradient_of_log_density(key, t):
    sde = build(key)
    mix = anisotropic_mixture()
    u = torch.randn(16, sde.n_channels, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 0.5
    s = score(mix, sde, u, t)
    h = 1e-6
    fd = torch.zeros_like(u)
    for c in range(sde.n_channels):
        for j in range(2):
            e = torch.zeros_like(u)
            e[:, c, j] = h
            fd[:, c, j] = (log_density(mix, sde, u + e, t) - log_density(mix, sde, u - e, t)) / (2 * h)
    torch.testing.assert_close(s, fd, rtol=1e-5, atol=1e-5 * float(s.abs().max()))


@pytest.mark.parametrize("key", ["passive", "active", "cld"])
def test_density_normalised_and_matches_the_forward_process(key):
    """1D: the pushed-forward density integrates to 1 and its moments match data pushed through
    the kernel by sampling (x0 from the mixture, then perturb)."""
    sde = build(key)
    mix = multigaussian_mixture(mean=1.2, std=0.5, dim=1)
    t = 0.1
    _, means, covs = pushforward(mix, sde, t)
    grid = np.linspace(-14, 14, 1401)
    if sde.n_channels == 1:
        u = torch.tensor(grid)[:, None, None]
        dens = torch.exp(log_density(mix, sde, u, t)).numpy()
        assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=1e-8)
    else:
        X, Y = np.meshgrid(grid, grid, indexing="ij")
        u = torch.tensor(np.stack([X.ravel(), Y.ravel()], 1))[:, :, None]
        dens = torch.exp(log_density(mix, sde, u, t)).numpy().reshape(X.shape)
        assert np.trapezoid(np.trapezoid(dens, grid), grid) == pytest.approx(1.0, abs=1e-6)
    rng = np.random.default_rng(0)
    n = 200_000
    x0 = mix.sample(n, rng)
    ut = sde.perturb(x0, np.full(n, t), rng.standard_normal((n, sde.n_channels, 1)))[..., 0]
    w = mix.weights
    mix_mean = w @ means
    mix_cov = np.einsum("k,kij->ij", w, covs) + np.einsum("k,ki,kj->ij", w, means - mix_mean, means - mix_mean)
    z = (ut.mean(0) - mix_mean) / np.sqrt(np.diag(mix_cov) / n)
    assert np.all(np.abs(z) < 4.5), z
    np.testing.assert_allclose(np.cov(ut.T).reshape(mix_cov.shape), mix_cov, rtol=0.02, atol=2e-3)


def test_score_stable_far_from_the_data():
    """Log-space evaluation: no NaN where every component density underflows."""
    sde = build("passive")
    u = torch.tensor([[[60.0, -80.0]]], dtype=torch.float64)
    s = score(diamond_mixture(), sde, u, 1e-3)
    assert torch.isfinite(s).all() and s[0, 0, 0] < 0 and s[0, 0, 1] > 0


def test_cached_score_fn_equals_direct_score():
    sde = build("active")
    mix = diamond_mixture()
    fn = exact_score_fn(mix, sde)
    u = torch.randn(8, 2, 2, dtype=torch.float64)
    torch.testing.assert_close(fn(u, 0.3), score(mix, sde, u, 0.3))
    torch.testing.assert_close(fn(u, 0.3), score(mix, sde, u, 0.3))


def test_large_t_score_is_the_prior_score():
    """At t -> inf the score is -Sigma_inf^-1 u per coordinate."""
    for key in ["passive", "active", "cld"]:
        sde = build(key)
        u = torch.randn(5, sde.n_channels, 2, dtype=torch.float64)
        prior_prec = torch.tensor(np.linalg.inv(sde.stationary_cov()))
        expected = -torch.einsum("ij,njd->nid", prior_prec, u)
        torch.testing.assert_close(score(diamond_mixture(), sde, u, 40.0), expected, rtol=1e-7, atol=1e-9)
