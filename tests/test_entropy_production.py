"""Entropy production along generation (docs/theory.md 7.2): the Gaussian-data closed form against
Monte Carlo and a hand formula, time reversal Pi_rev(s) = Pi_fwd(t_max - s) with the exact score,
and the trajectory-level integral fluctuation theorem with <Delta s_tot> = int Pi dt."""

import numpy as np
import pytest
from scipy.integrate import quad

from activediff.diagnostics import entropy_production as ep
from activediff.diffusion.scores import GaussianMixture, exact_score_fn
from activediff.diffusion.sde import make_sde

pytestmark = pytest.mark.usefixtures("one_torch_thread")

Z = 5.0
PROCESSES = {"passive": dict(k=1.0, T=1.0), "active": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0),
             "cld": dict(m_inv=4.0, gamma=0.04)}
MEAN, STD = np.array([0.3, -0.2]), 0.5


def gaussian_data():
    return GaussianMixture.isotropic(np.ones(1), MEAN[None], STD)


def two_bumps():
    return GaussianMixture.isotropic(np.array([0.4, 0.6]), np.array([[-0.5], [0.5]]), 0.1)


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_gaussian_closed_form_matches_monte_carlo(name):
    sde = make_sde(name, beta=4.0, **PROCESSES[name])
    times = np.array([2e-3, 0.03, 0.3, 1.0])
    mix = gaussian_data()
    terms = ep.forward_rates(sde, mix, exact_score_fn(mix, sde), times, 6000, seed=1)
    mc, se = terms.mean(1), terms.std(1, ddof=1) / np.sqrt(terms.shape[1])
    closed = ep.gaussian_entropy_production(sde, times, MEAN, STD**2)
    assert np.all(np.abs(mc - closed) < Z * se), (mc, closed, se)


def test_passive_closed_form_is_the_hand_formula():
    k, T, beta = 1.3, 0.7, 4.0
    sde = make_sde("passive", k=k, T=T, beta=beta)
    for t in (1e-3, 0.1, 0.8):
        a, delta = np.exp(-k * beta * t), T / k * (1 - np.exp(-2 * k * beta * t))
        V = a**2 * STD**2 + delta
        hand = beta / T * (2 * (k - T / V) ** 2 * V + k**2 * a**2 * (MEAN**2).sum())
        assert np.isclose(ep.gaussian_entropy_production(sde, t, MEAN, STD**2), hand, rtol=1e-10)


def test_stationary_cld_produces_no_entropy_with_odd_velocity_only():
    sde = make_sde("cld", beta=4.0, **PROCESSES["cld"])
    late = ep.gaussian_entropy_production(sde, 5.0, np.zeros(2), 1.0)  # data = stationary x law
    assert late < 1e-10
    assert ep.gaussian_entropy_production(sde, 5.0, np.zeros(2), 1.0, parity=(1, 1)) > 1.0


@pytest.mark.parametrize("k, tau, Ta", [(1.0, 0.25, 1.0), (0.5, 0.1, 2.0), (1.5, 0.5, 0.7)])
def test_the_active_process_produces_entropy_at_rest_as_the_hand_formula_says(k, tau, Ta):
    """eta channel, Tp = 0: stationary covariance by hand (Var eta = Ta/tau, Cov = Var eta/(k + 1/tau),
    Var x = Cov/k), v_eta = -eta/tau + D (S^{-1} u)_eta, Pi = E[v_eta^2]/D per physical time and
    coordinate (1 for the defaults), times beta per code time; the transient closed form at a late
    time reaches it."""
    beta, dims = 4.0, 2
    sde = make_sde("active", k=k, tau=tau, Tp=0.0, Ta=Ta, beta=beta)
    b, D = 1 / tau, Ta / tau**2
    var_eta = Ta / tau
    cov = var_eta / (k + b)
    var_x = cov / k
    det = var_x * var_eta - cov**2
    alpha, gamma = -b + D * var_x / det, -D * cov / det  # v_eta = alpha eta + gamma x
    hand = beta * dims * (alpha**2 * var_eta + 2 * alpha * gamma * cov + gamma**2 * var_x) / D
    assert np.isclose(ep.stationary_entropy_production(sde, dims), hand, rtol=1e-12)
    if (k, tau, Ta) == (1.0, 0.25, 1.0):
        assert np.isclose(hand, beta * dims)  # docs/theory.md 7.2: 1 per physical time and coordinate
    late = ep.gaussian_entropy_production(sde, 8.0, np.zeros(dims), var_x)  # eta0 stationary: relaxes to rest
    assert np.isclose(late, hand, rtol=1e-6)


@pytest.mark.parametrize("name", ["passive", "cld"])
def test_equilibrium_processes_produce_no_entropy_at_rest(name):
    sde = make_sde(name, beta=4.0, **PROCESSES[name])
    assert abs(ep.stationary_entropy_production(sde, 2)) < 1e-10
    if name == "cld":  # every channel even: the Hamiltonian part counted as irreversible
        assert ep.stationary_entropy_production(sde, 2, parity=(1, 1)) > 1.0


def test_time_reversal_with_the_exact_score():
    sde = make_sde("passive", beta=4.0, **PROCESSES["passive"])
    mix = two_bumps()
    times = np.geomspace(2e-3, 1.0, 12)
    fwd = ep.forward_rates(sde, mix, exact_score_fn(mix, sde), times, 3000, seed=3)
    rev = ep.reverse_rates(sde, exact_score_fn(mix, sde), times[::-1], (1,), 3000, seed=4, steps_per_interval=20,
                           max_step=2e-3)[::-1]
    diff = fwd.mean(1) - rev.mean(1)
    se = np.sqrt(fwd.var(1) / 3000 + rev.var(1) / 3000)
    assert np.all(np.abs(diff[:-2]) < Z * se[:-2] + 0.02 * fwd.mean(1)[:-2]), (fwd.mean(1), rev.mean(1), se)
    assert fwd.mean(1)[0] > 50 * fwd.mean(1)[-3]  # the check covers a wide range of rates


def test_integral_fluctuation_theorem_gaussian_three_routes():
    """<exp(-ds)> = 1; <ds> by Monte Carlo = closed form = int Pi dt by quadrature. The window
    expands Var x by less than 4/3, so exp(-ds) has finite variance."""
    sde = make_sde("passive", beta=4.0, **PROCESSES["passive"])
    mix = gaussian_data()
    t0, t1 = 0.02, 0.035
    ds = ep.window_entropy(sde, mix, [(t0, t1)], 20000, seed=5)[0]
    ift, ift_se = ep.mean_and_se(np.exp(-ds))
    assert abs(ift - 1) < Z * ift_se and ift_se < 0.01, (ift, ift_se)
    mean, se = ep.mean_and_se(ds)
    closed = ep.gaussian_mean_entropy(sde, t0, t1, MEAN, STD**2)
    integral = quad(lambda t: ep.gaussian_entropy_production(sde, t, MEAN, STD**2), t0, t1, epsabs=1e-12)[0]
    assert np.isclose(closed, integral, rtol=1e-8)
    assert abs(mean - closed) < Z * se and closed > 10 * se, (mean, closed, se)


def test_integral_fluctuation_theorem_mixture_against_monte_carlo_rate():
    sde = make_sde("passive", beta=4.0, **PROCESSES["passive"])
    mix = two_bumps()
    grid = np.geomspace(2e-3, 3e-3, 9)
    ds = ep.window_entropy(sde, mix, [(grid[0], grid[-1])], 8000, seed=6)[0]
    ift, ift_se = ep.mean_and_se(np.exp(-ds))
    assert abs(ift - 1) < Z * ift_se and ift_se < 0.02, (ift, ift_se)
    rates = ep.forward_rates(sde, mix, exact_score_fn(mix, sde), grid, 8000, seed=7)
    integral, integral_se = ep.mean_and_se(ep.log_time_integral(grid, rates))
    mean, se = ep.mean_and_se(ds)
    assert abs(mean - integral) < Z * np.hypot(se, integral_se) + 0.005 * integral, (mean, integral, se)


def test_reverse_chain_must_start_at_t_max():
    sde = make_sde("cld", beta=4.0, **PROCESSES["cld"])
    with pytest.raises(ValueError, match="t_max"):
        ep.reverse_rates(sde, exact_score_fn(gaussian_data(), sde), np.array([0.5, 0.1]), (2,), 4, seed=0,
                         steps_per_interval=2, max_step=0.1)


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_reverse_excess_is_first_order_step_error(name):
    """The exact law of the Euler-Maruyama chain (Gaussian data): its excess over the closed form
    halves with the step at every t < 0.05 and is a few % at the default grid's resolution."""
    sde = make_sde(name, beta=4.0, **PROCESSES[name])
    times = np.geomspace(1e-3, 1.0, 25)[::-1]
    closed = ep.gaussian_entropy_production(sde, times, MEAN, STD**2)
    excess = [ep.gaussian_em_entropy_production(sde, times, 10 * f, 2e-3 / f, MEAN, STD**2) / closed - 1
              for f in (1, 2, 4)]
    small = times < 0.05
    for coarse, fine in zip(excess[:-1], excess[1:]):
        assert np.all(fine[small] > 0) and np.allclose(coarse[small] / fine[small], 2.0, atol=0.15), (coarse, fine)
    assert excess[0].max() > 0.002 and excess[-1].max() < 0.01, excess
    if name == "cld":
        assert 0.025 < excess[0][small].max() < 0.04, excess[0]  # the reported 3% at t < 0.05


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_reverse_monte_carlo_is_the_euler_maruyama_law(name):
    """reverse_rates with the exact score matches the exact law of its own Euler-Maruyama chain
    (z-score bound) at two step sizes, the closed form only as the step shrinks: the gap between
    the generated and the forward Pi is step error, not the estimator or the formula."""
    sde = make_sde(name, beta=4.0, **PROCESSES[name])
    mix, n = gaussian_data(), 3000
    times = np.geomspace(2e-3, 1.0, 7)[::-1]
    closed = ep.gaussian_entropy_production(sde, times, MEAN, STD**2)
    gaps = []
    for seed, (spi, max_step) in enumerate([(2, 0.04), (8, 0.01)]):
        terms = ep.reverse_rates(sde, exact_score_fn(mix, sde), times, (2,), n, seed=10 + seed,
                                 steps_per_interval=spi, max_step=max_step)
        mc, se = terms.mean(1), terms.std(1, ddof=1) / np.sqrt(n)
        em = ep.gaussian_em_entropy_production(sde, times, spi, max_step, MEAN, STD**2)
        assert np.all(np.abs(mc - em) < Z * se), ((mc - em) / se, mc, em)
        gaps.append((mc - closed) / closed)
        if not seed:
            assert np.max((mc - closed) / se) > Z, ((mc - closed) / se)  # the step error is resolved
    small = times < 0.05
    assert np.all(gaps[1][small] < 0.5 * gaps[0][small]), gaps
