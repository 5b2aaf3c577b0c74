"""GFDT response functions (docs/theory.md 7.1): e^{At} by scipy expm against the closed-form
propagator, the kick ensemble and the exact-score GFDT on the stationary active OU process; kicks
against the score-GFDT on a bimodal Langevin process, where the Gaussian FDT must fail."""

import numpy as np
import pytest
import torch

from activediff.diagnostics import response as rs
from activediff.diffusion.scores import GaussianMixture, score
from activediff.diffusion.sde import make_sde

pytestmark = pytest.mark.usefixtures("one_torch_thread")

Z = 5.0


@pytest.fixture(scope="module")
def active():
    return make_sde("active", k=1.0, tau=0.25, Tp=0.0, Ta=1.0, beta=4.0)


def test_expm_matches_closed_form_propagator(active):
    times = np.array([0.0, 0.1, 0.7, 2.5])
    closed = np.stack([active.propagator(t / active.beta0) for t in times])
    np.testing.assert_allclose(rs.exact_response(active, times), closed, atol=1e-12)


def test_kick_with_identical_noise_is_exact_for_the_linear_process(active):
    process = rs.linear_ou(active, 0.05)
    R, se = rs.kick_response(process, seed=3, n_samples=8, n_steps=40, record_every=4, kick=0.01)
    np.testing.assert_allclose(R, rs.exact_response(active, 0.2 * np.arange(11)), atol=1e-10)
    assert se.max() < 1e-10


@pytest.fixture(scope="module")
def ou_series(active):
    process = rs.linear_ou(active, 0.05)
    idx = range(48)
    u0 = rs.stationary_initial(process, 11, idx)
    traj = rs.simulate(process, u0, 11, idx, 3000, 1)
    return process, traj.numpy(), process.score(traj.reshape(-1, 2)).reshape(traj.shape).numpy()


def test_score_and_gaussian_gfdt_match_expm_within_errors(active, ou_series):
    process, traj, scores = ou_series
    lags = np.arange(0, 61, 10)
    exact = rs.exact_response(active, 0.05 * np.arange(61))
    for R, se in (rs.gfdt_response(traj, scores, 60), rs.gaussian_response(traj, 60)):
        z = np.abs(R - exact)[lags] / se[lags].clip(1e-3)
        assert z.max() < Z, z
    # the estimator resolves the response: at t = 0 it is I to a few per cent
    R, se = rs.gfdt_response(traj, scores, 0)
    assert np.abs(R[0] - np.eye(2)).max() < 0.1 and se.max() < 0.05


def test_jackknife_of_a_mean_is_the_standard_error():
    rng = np.random.default_rng(0)
    per_chain = rng.standard_normal((40, 1, 1, 1))
    value, se = rs.jackknife([per_chain], [np.ones(1)], lambda m: m)
    assert np.isclose(value.item(), per_chain.mean())
    assert np.isclose(se.item(), per_chain.std(ddof=1) / np.sqrt(40))


def test_simulation_does_not_depend_on_batching(active):
    process = rs.linear_ou(active, 0.05)
    all_chains = rs.simulate(process, rs.stationary_initial(process, 5, range(4)), 5, range(4), 30, 3, block=7)
    two = rs.simulate(process, rs.stationary_initial(process, 5, [2, 3]), 5, [2, 3], 30, 3, block=30)
    torch.testing.assert_close(all_chains[2:], two)


def test_smoothed_mixture_score_is_the_diffusion_score_at_that_time():
    mix = GaussianMixture.isotropic(np.array([0.3, 0.7]), np.array([[-0.5, 0.0], [0.5, 0.2]]), 0.05)
    sde = make_sde("passive", k=1.0, T=1.0, beta=4.0)
    target = rs.smoothed_mixture(mix, sde, 1e-3)
    x = torch.as_tensor(np.random.default_rng(1).normal(size=(50, 2)) * 0.5)
    torch.testing.assert_close(rs.mixture_score(target)(x), score(mix, sde, x[:, None], 1e-3)[:, 0])


def test_kicks_agree_with_score_gfdt_and_not_with_gaussian_fdt_for_two_wells():
    """1D two-well mixture with frequent hopping: the exact-score GFDT reproduces the kick response;
    the Gaussian FDT C(t)/C(0) (which sees only the slow hopping) misses the fast in-well decay."""
    mix = GaussianMixture.isotropic(np.array([0.5, 0.5]), np.array([[-0.3], [0.3]]), 0.12)
    process = rs.langevin_mixture(mix, D=1.0, dt=2e-4)
    idx = range(64)
    traj = rs.simulate(process, rs.stationary_initial(process, 1, idx), 1, idx, 12000, 10).numpy()
    scores = process.score(torch.as_tensor(traj.reshape(-1, 1))).numpy().reshape(traj.shape)
    lags = 60
    kick, kick_se = rs.kick_response(process, seed=2, n_samples=512, n_steps=lags * 10, record_every=10, kick=0.02)
    R, se = rs.gfdt_response(traj, scores, lags)
    z = np.abs(R - kick) / np.sqrt(se**2 + kick_se**2).clip(1e-3)
    assert z[::6].max() < Z, z[::6].ravel()
    exact_err, _ = rs.relative_l2_jackknife(traj, scores, lags, kick)
    gauss_err, _ = rs.relative_l2_jackknife(traj, None, lags, kick)
    assert exact_err < 0.35 and gauss_err > 0.8, (exact_err, gauss_err)
