"""Splitting samplers: SSCS's closed-form step against independent routes (and the authors'
fork's anti-damped mean failing them), the generic split, exactness on the prior, and accuracy
against Euler-Maruyama with exact scores."""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import torch

from activediff.diffusion.linalg import apply
from activediff.diffusion.samplers import euler_maruyama, reverse_em_samples, sample_noise, time_grid
from activediff.diffusion.scores import GaussianMixture, exact_score_fn, pushforward
from activediff.diffusion.sde import make_sde
from activediff.diffusion.splitting import (
    exact_linear_step,
    linear_drift_matrix,
    splitting_sampler,
    splitting_samples,
    sscs,
    sscs_linear_step,
)
from activediff.evaluation.metrics import evaluate
from activediff.toy.data import diamond_mixture

EPS = 1e-3


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def cld_a_part(cld):
    """SSCS's A part as docs/theory.md 3 writes it: dx = -M^-1 v, dv = x - Gamma M^-1 v (+ noise 2 Gamma)."""
    return np.array([[0.0, -cld.m_inv], [1.0, -cld.Gamma * cld.m_inv]]), np.diag([0.0, 2 * cld.Gamma])


def expm_and_quadrature(drift, D, d):
    """Mean matrix e^{drift d} and covariance int_0^d e^{drift r} D e^{drift^T r} dr by quadrature."""
    cov, _ = scipy.integrate.quad_vec(lambda r: scipy.linalg.expm(drift * r) @ D @ scipy.linalg.expm(drift * r).T,
                                      0.0, d, epsabs=1e-14, epsrel=1e-12)
    return scipy.linalg.expm(drift * d), cov


@pytest.mark.parametrize("d", [1e-3, 0.04, 0.5, 3.0])
def test_sscs_closed_form_against_expm_and_quadrature(d):
    cld = make_sde("cld")
    mean, cov = sscs_linear_step(cld, d)
    mean_ref, cov_ref = expm_and_quadrature(*cld_a_part(cld), d)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cov, cov_ref, rtol=1e-9, atol=1e-16)
    # The generic split gives the same step for CLD.
    np.testing.assert_array_equal(linear_drift_matrix(cld), cld_a_part(cld)[0])
    generic_mean, generic_cov = exact_linear_step(cld, d)
    np.testing.assert_allclose(generic_mean, mean, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(generic_cov, cov, rtol=1e-10, atol=1e-16)


def test_sscs_step_against_monte_carlo_and_the_forks_mean_fails():
    """Euler-Maruyama paths of the A-part SDE over beta-time d = 0.04 from a fixed (x, v): their
    mean and covariance match the closed form within a z-score bound; the fork's mean (the forward
    kernel at negative beta-time, anti-damped) is many standard errors off."""
    cld = make_sde("cld")
    d, n_sub, n_paths = 0.04, 200, 20000
    drift, D = cld_a_part(cld)
    u0 = np.array([0.7, -0.3])
    rng = np.random.default_rng(0)
    u = np.tile(u0, (n_paths, 1))
    dr = d / n_sub
    for _ in range(n_sub):
        u = u + dr * u @ drift.T + np.sqrt(D.diagonal() * dr) * rng.standard_normal(u.shape)
    mean, cov = sscs_linear_step(cld, d)
    se = np.sqrt(cov.diagonal() / n_paths)
    z = (u.mean(0) - mean @ u0) / se
    assert np.all(np.abs(z) < 5), z
    emp = np.cov(u.T)
    for i, j in [(0, 0), (0, 1), (1, 1)]:
        se_cov = np.sqrt((cov[i, i] * cov[j, j] + cov[i, j] ** 2) / n_paths)
        assert abs(emp[i, j] - cov[i, j]) < 5 * se_cov, (i, j, emp[i, j], cov[i, j])
    fork_mean = np.asarray(cld._propagator(np.float64(-d))) @ u0  # sde.mean(u, beta_int=-d) in the fork
    z_fork = (u.mean(0) - fork_mean) / se
    assert np.abs(z_fork).max() > 20, z_fork
    # Leading order: the fork's v-damping factor is (1 + 4d/Gamma) instead of (1 - 4d/Gamma).
    np.testing.assert_allclose(np.abs(fork_mean - mean @ u0)[1], 8 * d / cld.Gamma * abs(u0[1]), rtol=0.1)


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_generic_split_adds_up_to_the_reverse_drift_and_keeps_the_prior(name):
    sde = make_sde(name)
    sigma = sde.stationary_cov()
    abar, D = linear_drift_matrix(sde), sde.diffusion_matrix
    np.testing.assert_allclose(abar @ sigma + sigma @ abar.T + D, 0, atol=1e-13)
    rng = np.random.default_rng(1)
    u = torch.from_numpy(rng.standard_normal((5, sde.n_channels, 2)))
    s = torch.from_numpy(rng.standard_normal((5, sde.n_channels, 2)))
    t = 0.37
    beta = float(sde.beta(t))
    abar_t, D_t, precision = (torch.from_numpy(a) for a in (abar, D, np.linalg.inv(sigma)))
    split = beta * apply(abar_t, u) + beta * apply(D_t, s + apply(precision, u))
    torch.testing.assert_close(split, sde.reverse_drift(u, t, s), rtol=1e-13, atol=1e-13)
    for d in (0.02, 0.7):
        F, Q = exact_linear_step(sde, d)
        F_ref, Q_ref = expm_and_quadrature(abar, D, d)
        np.testing.assert_allclose(F, F_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(Q, Q_ref, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(F @ sigma @ F.T + Q, sigma, atol=1e-13)


def response_moments(sde, run, n_noise, dim=1):
    """Mean and covariance of run(u_prior, noise) with u_prior ~ N(0, Sigma_inf) and standard normal
    noise, for a sampler that is affine in its inputs (linear score): from the response to each
    unit input, no sampling error."""
    m = sde.n_channels * dim
    n_rows = 1 + m * (1 + n_noise)
    z = torch.zeros(n_rows, m, dtype=torch.float64)
    noise = torch.zeros(n_noise, n_rows, m, dtype=torch.float64)
    z[1:1 + m] = torch.eye(m, dtype=torch.float64)
    for k in range(n_noise):
        noise[k, 1 + m * (k + 1):1 + m * (k + 2)] = torch.eye(m, dtype=torch.float64)
    shape = (n_rows, sde.n_channels, dim)
    out = run(sde.prior_sample(z.reshape(shape)), noise.reshape((n_noise,) + shape)).reshape(n_rows, m)
    columns = out[1:] - out[0]
    return out[0].numpy(), (columns.T @ columns).numpy()


@pytest.mark.parametrize("name,params", [("passive", {}), ("active", {}), ("cld", {}),
                                         ("active", dict(beta=3.0, beta1=2.0))])
def test_splitting_is_exact_when_the_score_is_the_priors(name, params):
    """Score = prior score: the S step vanishes and the L steps keep N(0, Sigma_inf) exactly, at a
    coarse step (dt = 0.1), also with a time-dependent beta; Euler-Maruyama is visibly off."""
    sde = make_sde(name, **params)
    sigma = sde.stationary_cov()
    precision = torch.from_numpy(np.linalg.inv(sigma))
    prior_score = lambda u, t: -apply(precision, u)  # noqa: E731
    grid = time_grid(sde.t_max, EPS, 10)
    mean, cov = response_moments(sde, lambda u0, z: splitting_sampler(sde, prior_score, u0, z, grid), 20)
    np.testing.assert_allclose(mean, 0, atol=1e-15)
    np.testing.assert_allclose(cov, sigma, rtol=1e-12, atol=1e-13)
    _, cov_em = response_moments(sde, lambda u0, z: euler_maruyama(sde, prior_score, u0, z, grid), 10)
    assert np.abs(cov_em - sigma).max() > 0.1


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_splitting_beats_em_on_gaussian_data_at_coarse_steps(name):
    """Data N(0.5, 0.3^2), exact (affine) score: exact output moments of both samplers; the
    Gaussian W2 distance of the x law to p_eps is smaller for splitting at dt = 0.1 and 0.05, and
    splitting converges as dt -> 0."""
    sde = make_sde(name)
    mix = GaussianMixture.isotropic(np.array([1.0]), np.array([[0.5]]), 0.3)
    fn = exact_score_fn(mix, sde)
    _, m_eps, c_eps = pushforward(mix, sde, EPS, channels=(0,))

    def w2(moments):
        mean, cov = moments
        return np.hypot(mean[0] - m_eps[0, 0], np.sqrt(cov[0, 0]) - np.sqrt(c_eps[0, 0, 0]))

    errors = {}
    for n_steps in (10, 20, 100):
        grid = time_grid(sde.t_max, EPS, n_steps)
        split = w2(response_moments(sde, lambda u0, z: splitting_sampler(sde, fn, u0, z, grid), 2 * n_steps))
        em = w2(response_moments(sde, lambda u0, z: euler_maruyama(sde, fn, u0, z, grid), n_steps))
        errors[n_steps] = split, em
    for n_steps in (10, 20):
        assert errors[n_steps][0] < errors[n_steps][1], errors
    assert errors[100][0] < 0.03 and errors[100][0] < errors[10][0] / 3, errors


@pytest.mark.parametrize("name", ["active", "cld"])
def test_splitting_beats_em_on_the_diamond(name):
    """Nine-Gaussian diamond, exact score, dt = 0.1: sliced W2 to fresh data is smaller for the
    splitting sampler (SSCS for CLD) than for Euler-Maruyama from the same prior draws."""
    sde = make_sde(name)
    mix = diamond_mixture()
    fn = exact_score_fn(mix, sde)
    data = mix.sample(2560, np.random.default_rng(9))
    split = evaluate(data, splitting_samples(sde, fn, (2,), 2560, seed=1, dt=0.1, eps=EPS))
    em = evaluate(data, reverse_em_samples(sde, fn, (2,), 2560, seed=1, dt=0.1, eps=EPS))
    margin = 3 * np.hypot(split["sliced_w2_se"], em["sliced_w2_se"])
    assert split["sliced_w2"] + margin < em["sliced_w2"], (split, em)


def test_splitting_samples_per_sample_seeds_sscs_and_denoising():
    sde = make_sde("cld")
    fn = exact_score_fn(diamond_mixture(), sde)
    a = splitting_samples(sde, fn, (2,), 12, seed=3, dt=0.1, eps=EPS, batch_size=12)
    b = splitting_samples(sde, fn, (2,), 7, seed=3, dt=0.1, eps=EPS, batch_size=4, first_index=5)
    np.testing.assert_allclose(a[5:], b, rtol=1e-12, atol=1e-13)
    generic = splitting_samples(sde, fn, (2,), 12, seed=3, dt=0.1, eps=EPS, closed_form_cld=False)
    np.testing.assert_allclose(a, generic, rtol=1e-9, atol=1e-10)
    # The wrapper is sscs() on sample_noise's streams: two draws per step, the prior draw first.
    grid = time_grid(sde.t_max, EPS, 10)
    prior, noise = sample_noise(3, np.arange(12), (2, 2), 20)
    u0 = sde.prior_sample(torch.from_numpy(prior))
    u = sscs(sde, fn, u0, torch.from_numpy(noise), grid)
    np.testing.assert_array_equal(a, u[:, 0].numpy())
    den = sscs(sde, fn, u0, torch.from_numpy(noise), grid, denoise=True)
    torch.testing.assert_close(den, u + sde.reverse_drift(u, EPS, fn(u, EPS)) * EPS, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="CLD only"):
        sscs_linear_step(make_sde("active"), 0.1)
