"""Closed-form kernels of the three processes against independent routes (docs/theory.md 1-3)."""

import numpy as np
import pytest
import torch
from scipy.integrate import quad_vec, solve_ivp
from scipy.linalg import expm, solve_continuous_lyapunov

from activediff.diffusion.sde import make_sde

PAPER = {
    "passive": dict(k=1.0, T=1.0),
    "active": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0),
    "cld": dict(m_inv=4.0, gamma=0.04),
}
# Active variants: thermal noise on x, the k tau = 1 limit and both sides of it, near and far.
ACTIVE_VARIANTS = [
    dict(k=1.0, tau=0.25, Tp=0.3, Ta=1.0),
    dict(k=1.5, tau=2.0, Tp=0.0, Ta=0.7),
    dict(k=1.0, tau=1.0, Tp=0.0, Ta=1.0),
    dict(k=1.0, tau=1.0 + 1e-7, Tp=0.0, Ta=1.0),
    dict(k=1.0, tau=1.0 - 1e-7, Tp=0.0, Ta=1.0),
    dict(k=1.0, tau=1.0 + 4e-4, Tp=0.0, Ta=1.0),
    dict(k=1.0, tau=1.0 - 4e-4, Tp=0.2, Ta=1.0),
    dict(k=1.0, tau=1.0 + 1e-2, Tp=0.0, Ta=1.0),
    dict(k=1.0, tau=1.0 - 1e-2, Tp=0.0, Ta=1.0),
]
CASES = [("passive", PAPER["passive"]), ("cld", PAPER["cld"])] + [("active", p) for p in ACTIVE_VARIANTS]
TIMES = [1e-5, 1e-3, 0.02, 0.1, 0.3, 1.0, 2.5]


def case_id(case):
    name, p = case
    return name + "-" + "-".join(f"{k}{v:g}" for k, v in p.items())


def quadrature_noise_cov(sde, s):
    A, D = sde.drift_matrix, sde.diffusion_matrix
    integrand = lambda r: expm(A * r) @ D @ expm(A * r).T  # noqa: E731
    value, _ = quad_vec(integrand, 0.0, s, epsabs=1e-14, epsrel=1e-12)
    return value


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_propagator_is_matrix_exponential(case):
    sde = make_sde(case[0], **case[1], beta=4.0)
    for t in TIMES:
        np.testing.assert_allclose(sde.propagator(t), expm(sde.drift_matrix * 4.0 * t), rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_noise_cov_is_lyapunov_integral(case):
    sde = make_sde(case[0], **case[1], beta=4.0)
    for t in TIMES:
        exact = quadrature_noise_cov(sde, 4.0 * t)
        np.testing.assert_allclose(sde.noise_cov(t), exact, rtol=2e-8, atol=1e-13 * np.abs(exact).max())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_stationary_cov_solves_lyapunov_and_is_the_large_t_limit(case):
    sde = make_sde(case[0], **case[1])
    A, D = sde.drift_matrix, sde.diffusion_matrix
    lyap = solve_continuous_lyapunov(A, -D)
    np.testing.assert_allclose(sde.stationary_cov(), lyap, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sde.cov(60.0), lyap, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sde.propagator(60.0), 0.0, atol=1e-12)


def test_paper_active_prior():
    sde = make_sde("active", **PAPER["active"])
    np.testing.assert_allclose(sde.stationary_cov(), [[0.8, 0.8], [0.8, 4.0]], rtol=1e-14)


def test_active_stationary_eta_variance_is_constant():
    sde = make_sde("active", **PAPER["active"], eta0="stationary")
    t = np.linspace(0.0, 2.0, 41)
    np.testing.assert_allclose(sde.cov(t)[:, 1, 1], 4.0, rtol=1e-12)


def test_active_m11_against_the_authors_form():
    """docs/theory.md quotes the authors' M11; ours is derived differently (divided differences)."""
    k, tau, Tp, Ta = 1.0, 0.25, 0.2, 1.0
    sde = make_sde("active", k=k, tau=tau, Tp=Tp, Ta=Ta, eta0="zero", beta=1.0)
    w = 1 / tau
    for t in [0.05, 0.4, 2.0]:
        a, c = np.exp(-k * t), np.exp(-w * t)
        authors = (Tp / k) * (1 - a**2) + (Ta / tau**2) * (
            tau / (k * (k + w)) + (4 * a * c / (k + w) - c**2 * tau - a**2 / k) / (k - w) ** 2)
        assert sde.noise_cov(t)[0, 0] == pytest.approx(authors, rel=1e-12)


def test_cld_kernel_against_physics_md_formulas():
    """Dockhorn et al.'s closed form with s_x0 = 0, s_v0 = gamma M (HSM) against E S0 E^T + M."""
    sde = make_sde("cld", **PAPER["cld"], beta=1.0)
    G, sv0, sx0 = sde.Gamma, sde.gamma * sde.mass, 0.0
    for B in [0.01, 0.3, 1.7]:
        e = np.exp(-4 * B / G)
        sxx = e * (sx0 + np.exp(4 * B / G) - 1 + 4 * B / G * (sx0 - 1) + 4 * B**2 / G**2 * (sx0 - 2)
                   + 16 * B**2 / G**4 * sv0)
        sxv = e * (-sx0 * B + 4 * B / G**2 * sv0 - 2 * B**2 / G * (sx0 - 2) - 8 * B**2 / G**3 * sv0)
        svv = e * (G**2 / 4 * (np.exp(4 * B / G) - 1) + G * B - 4 * B / G * sv0 + 4 * B**2 / G**2 * sv0
                   + sv0 + B**2 * (sx0 - 2))
        np.testing.assert_allclose(sde.cov(B), [[sxx, sxv], [sxv, svv]], rtol=1e-10)


def test_small_time_onsets():
    """Var x_t ~ 2 T B (passive), (Ta/tau) B^2 (active, stationary eta0), 2 Ta B^3 / (3 tau^2) (eta0 = 0)."""
    B = 1e-4
    assert make_sde("passive", k=1, T=1, beta=1).cov(B)[0, 0] == pytest.approx(2 * B, rel=1e-3)
    stat = make_sde("active", **PAPER["active"], eta0="stationary", beta=1)
    zero = make_sde("active", **PAPER["active"], eta0="zero", beta=1)
    assert stat.cov(B)[0, 0] == pytest.approx(4 * B**2, rel=1e-3)
    assert zero.cov(B)[0, 0] == pytest.approx(2 * B**3 / (3 * 0.25**2), rel=1e-3)


def test_time_change_with_linear_beta():
    """With beta(t) = beta0 + beta1 t, the propagator solves dE/dt = beta(t) A E."""
    sde = make_sde("active", **PAPER["active"], beta=0.5, beta1=3.0)
    A = sde.drift_matrix
    rhs = lambda t, y: ((0.5 + 3.0 * t) * A @ y.reshape(2, 2)).ravel()  # noqa: E731
    sol = solve_ivp(rhs, (0, 0.8), np.eye(2).ravel(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(sde.propagator(0.8), sol.y[:, -1].reshape(2, 2), rtol=1e-8)


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_torch_and_numpy_agree(name):
    sde = make_sde(name, **PAPER[name])
    t = np.array([1e-5, 1e-3, 0.1, 0.9])
    tt = torch.tensor(t, dtype=torch.float64)
    np.testing.assert_allclose(sde.cov(tt).numpy(), sde.cov(t), rtol=1e-12)
    np.testing.assert_allclose(sde.propagator(tt).numpy(), sde.propagator(t), rtol=1e-12)
    assert sde.cov(tt.float()).dtype == torch.float32


def simulate_forward(sde, x0, t_end, n_paths, n_steps, rng):
    """Euler-Maruyama of du = beta A u dt + sqrt(beta D) dW with the auxiliary channel drawn from
    its initial law: an independent route to the kernel."""
    n = sde.n_channels
    u = np.zeros((n_paths, n))
    u[:, 0] = x0
    if n == 2:
        u[:, 1] = np.sqrt(sde.init_aux_cov[1, 1]) * rng.standard_normal(n_paths)
    dt = t_end / n_steps
    A, G = sde.drift_matrix, np.sqrt(np.diag(sde.diffusion_matrix))
    for i in range(n_steps):
        beta = sde.beta0 + sde.beta1 * (i + 0.5) * dt
        u = u + beta * dt * u @ A.T + np.sqrt(beta * dt) * G * rng.standard_normal((n_paths, n))
    return u


@pytest.mark.parametrize("name,params", [
    ("passive", PAPER["passive"]),
    ("active", dict(PAPER["active"], eta0="stationary")),
    ("active", dict(PAPER["active"], eta0="zero")),
    ("active", dict(k=1.0, tau=1.0, Tp=0.5, Ta=1.0)),
    ("cld", PAPER["cld"]),
])
def test_kernel_matches_monte_carlo(name, params):
    """Mean and covariance of simulated paths within 4.5 standard errors of the closed forms."""
    sde = make_sde(name, **params, beta=4.0)
    rng = np.random.default_rng(7)
    x0, t, n_paths = 0.7, 0.15, 40_000
    u = simulate_forward(sde, x0, t, n_paths, n_steps=600, rng=rng)
    mean, cov = sde.mean_coeff(t) * x0, sde.cov(t)
    z_mean = (u.mean(0) - mean) / np.sqrt(np.diag(cov) / n_paths)
    assert np.all(np.abs(z_mean) < 4.5), z_mean
    c = u - mean
    for i in range(sde.n_channels):
        for j in range(sde.n_channels):
            prod = c[:, i] * c[:, j]
            z = (prod.mean() - cov[i, j]) / (prod.std() / np.sqrt(n_paths))
            # EM bias at dt = 1e-3 (physical) is O(dt); allow it in the tolerance.
            assert abs(z) < 4.5 or abs(prod.mean() - cov[i, j]) < 5e-3 * abs(cov[i, j]), (i, j, z)


def test_perturb_draws_from_the_kernel():
    sde = make_sde("active", **PAPER["active"])
    rng = np.random.default_rng(3)
    n = 200_000
    x0 = np.full((n, 1), -0.4)
    t = np.full(n, 0.2)
    u = sde.perturb(x0, t, rng.standard_normal((n, 2, 1)))[..., 0]
    np.testing.assert_allclose(u.mean(0), sde.mean_coeff(0.2) * -0.4, atol=4.5 * np.sqrt(4.0 / n))
    np.testing.assert_allclose(np.cov(u.T), sde.cov(0.2), rtol=0.02)


def test_reverse_and_probability_flow_drifts():
    """Passive: reverse drift beta (k x + 2T s), probability flow beta (-k x - T s) (docs/theory.md 1)."""
    sde = make_sde("passive", k=1.3, T=0.7, beta=4.0)
    u = np.array([[[0.5, -1.0]]])
    s = np.array([[[0.2, 0.4]]])
    np.testing.assert_allclose(sde.reverse_drift(u, 0.3, s), 4 * (1.3 * u + 1.4 * s))
    np.testing.assert_allclose(sde.probability_flow_drift(u, 0.3, s), 4 * (-1.3 * u - 0.7 * s))
    act = make_sde("active", **PAPER["active"], beta=1.0)
    u = np.array([[[0.5], [2.0]]])
    s = np.array([[[9.0], [0.3]]])  # s_x is ignored when Tp = 0
    expected = np.array([[[1.0 * 0.5 - 2.0], [2.0 / 0.25 + 2 * 1.0 / 0.25**2 * 0.3]]])
    np.testing.assert_allclose(act.reverse_drift(u, 0.3, s), expected)
    assert act.scored_channels == (1,)


def test_bad_parameters_fail_with_a_message():
    with pytest.raises(ValueError, match="unknown SDE 'vp'"):
        make_sde("vp")
    with pytest.raises(ValueError, match="eta0"):
        make_sde("active", eta0="random")
    with pytest.raises(ValueError, match="bad parameters"):
        make_sde("passive", tau=1.0)
    with pytest.raises(ValueError, match="k and T must be > 0"):
        make_sde("passive", k=0.0)
