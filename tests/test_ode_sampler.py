"""Adaptive probability-flow ODE sampler: scipy's RK45 per sample, batch independence, exact law
for Gaussian data."""

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp
from scipy.integrate._ivp.rk import RK45

from activediff.diffusion import ode_sampler
from activediff.diffusion.ode_sampler import probability_flow_ode, probability_flow_samples
from activediff.diffusion.samplers import denoise_step, sample_noise
from activediff.diffusion.scores import GaussianMixture, exact_score_fn, pushforward
from activediff.diffusion.scores import exact_score_fn as mixture_score_fn
from activediff.diffusion.sde import make_sde
from activediff.toy.data import diamond_mixture, multigaussian_mixture

EPS, RTOL, ATOL = 1e-3, 1e-5, 1e-5


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def prior_draws(sde, n, seed, dim=2):
    z = torch.from_numpy(np.random.default_rng(seed).standard_normal((n, sde.n_channels, dim)))
    return sde.prior_sample(z)


def test_tableau_is_scipys_dormand_prince():
    np.testing.assert_array_equal(ode_sampler._C, RK45.C)
    np.testing.assert_array_equal(ode_sampler._B, RK45.B)
    np.testing.assert_array_equal(ode_sampler._E, RK45.E)
    for row, ref in zip(ode_sampler._A, RK45.A):
        np.testing.assert_array_equal(row, ref[:len(row)])
        assert not np.any(ref[len(row):])


def test_mixture_score_at_per_sample_times_matches_scores():
    for name in ("active", "cld"):
        sde = make_sde(name)
        mix = diamond_mixture()
        u = prior_draws(sde, 4, 0)
        t = torch.tensor([1.0, 0.3, 0.02, 1e-3], dtype=torch.float64)
        batched = mixture_score_fn(mix, sde)(u, t)
        reference = torch.cat([exact_score_fn(mix, sde)(u[i:i + 1], float(t[i])) for i in range(4)])
        torch.testing.assert_close(batched, reference, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_each_sample_takes_solve_ivp_rk45_steps(name):
    """Every sample of the batch follows solve_ivp(RK45) on that sample alone: same number of
    score evaluations and the same result (to round-off, far below rtol); both are within a few
    hundred rtol of a tight DOP853 reference."""
    sde = make_sde(name)
    fn = mixture_score_fn(diamond_mixture(), sde)
    u0 = prior_draws(sde, 2, 1)
    result = probability_flow_ode(sde, fn, u0, sde.t_max, EPS, RTOL, ATOL)

    def rhs(t, y):
        u, tt = torch.from_numpy(y).reshape((1,) + u0.shape[1:]), torch.tensor([t], dtype=torch.float64)
        return sde.probability_flow_drift(u, tt, fn(u, tt)).reshape(-1).numpy()

    for i in range(2):
        y0 = u0[i].reshape(-1).numpy()
        sol = solve_ivp(rhs, (sde.t_max, EPS), y0, method="RK45", rtol=RTOL, atol=ATOL)
        assert int(result.n_score_evals[i]) == sol.nfev
        ours = result.u[i].reshape(-1).numpy()
        np.testing.assert_allclose(ours, sol.y[:, -1], rtol=1e-10, atol=1e-10)
    tight = solve_ivp(rhs, (sde.t_max, EPS), y0, method="DOP853", rtol=1e-10, atol=1e-10).y[:, -1]
    assert np.abs(ours - tight).max() < 50 * RTOL
    assert torch.all(result.n_score_evals == 2 + 6 * (result.n_steps + result.n_rejected))


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_shared_steps_are_solve_ivp_on_the_flattened_batch(name):
    """step_control="shared" is the authors' solver: solve_ivp(RK45) on the whole batch as one
    flattened vector (torchdiffeq's scipy_solver), the same evaluations for every sample, and a
    sample's result depends on its batch."""
    sde = make_sde(name)
    fn = mixture_score_fn(diamond_mixture(), sde)
    u0 = prior_draws(sde, 6, 3)
    shared = probability_flow_ode(sde, fn, u0, sde.t_max, EPS, RTOL, ATOL, step_control="shared")

    def rhs(t, y):
        u = torch.from_numpy(y).reshape(u0.shape)
        tt = torch.full((u0.shape[0],), t, dtype=torch.float64)
        return sde.probability_flow_drift(u, tt, fn(u, tt)).reshape(-1).numpy()

    sol = solve_ivp(rhs, (sde.t_max, EPS), u0.reshape(-1).numpy(), method="RK45", rtol=RTOL, atol=ATOL)
    assert torch.all(shared.n_score_evals == sol.nfev)
    np.testing.assert_allclose(shared.u.reshape(-1).numpy(), sol.y[:, -1], rtol=1e-10, atol=1e-10)
    alone = probability_flow_ode(sde, fn, u0[:1], sde.t_max, EPS, RTOL, ATOL, step_control="shared")
    assert not torch.equal(alone.u[0], shared.u[0])
    with pytest.raises(ValueError, match="step_control must be one of"):
        probability_flow_ode(sde, fn, u0, sde.t_max, EPS, step_control="global")


def test_results_do_not_depend_on_the_batch():
    sde = make_sde("active")
    fn = mixture_score_fn(multigaussian_mixture(), sde)
    u0 = prior_draws(sde, 8, 2)
    whole = probability_flow_ode(sde, fn, u0, sde.t_max, EPS, RTOL, ATOL)
    parts = [probability_flow_ode(sde, fn, u0[sl], sde.t_max, EPS, RTOL, ATOL) for sl in (slice(0, 3), slice(3, 8))]
    torch.testing.assert_close(torch.cat([p.u for p in parts]), whole.u, rtol=1e-12, atol=1e-12)
    assert torch.equal(torch.cat([p.n_score_evals for p in parts]), whole.n_score_evals)
    again = probability_flow_ode(sde, fn, u0, sde.t_max, EPS, RTOL, ATOL)
    assert torch.equal(again.u, whole.u)  # deterministic given the prior draw
    # The wrapper: per-sample seeds, any batch size or offset, prior draws as sample_noise's.
    x, evals = probability_flow_samples(sde, fn, (2,), 6, seed=4, eps=EPS, batch_size=6)
    x2, evals2 = probability_flow_samples(sde, fn, (2,), 4, seed=4, eps=EPS, batch_size=3, first_index=2)
    np.testing.assert_allclose(x[2:], x2, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(evals[2:], evals2)
    prior, _ = sample_noise(4, np.arange(6), (2, 2), 0)
    direct = probability_flow_ode(sde, fn, sde.prior_sample(torch.from_numpy(prior)), sde.t_max, EPS)
    np.testing.assert_array_equal(x, direct.u[:, 0].numpy())


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_flow_maps_p_tmax_onto_p_eps_for_gaussian_data(name):
    """For Gaussian data the probability-flow map is affine, so sigma points of p_{t_max}
    (mean m +- sqrt(dim) chol(C) columns, same mean and covariance) land on points with exactly
    the mean and covariance of p_eps, up to the integration error."""
    sde = make_sde(name)
    mix = GaussianMixture(np.array([1.0]), np.array([[0.5, -0.3]]), np.array([[[0.09, 0.03], [0.03, 0.04]]]))
    _, m1, c1 = pushforward(mix, sde, sde.t_max)
    dim = m1.shape[1]
    offsets = np.sqrt(dim) * np.linalg.cholesky(c1[0]).T
    points = np.concatenate([m1[0] + offsets, m1[0] - offsets]).reshape(2 * dim, sde.n_channels, 2)
    out = probability_flow_ode(sde, mixture_score_fn(mix, sde), torch.from_numpy(points), sde.t_max, EPS)
    _, m_eps, c_eps = pushforward(mix, sde, EPS)
    flat = out.u.reshape(2 * dim, -1).numpy()
    np.testing.assert_allclose(flat.mean(0), m_eps[0], atol=2e-4)
    np.testing.assert_allclose(np.cov(flat.T, bias=True), c_eps[0], rtol=2e-4, atol=1e-4)


def test_flow_recovers_mixture_weights_and_denoising_is_one_drift_step():
    sde = make_sde("passive")
    mix = multigaussian_mixture(mean=1.2, std=0.2, dim=1)
    fn = mixture_score_fn(mix, sde)
    x, evals = probability_flow_samples(sde, fn, (1,), 600, seed=3, eps=EPS)
    frac = (x[:, 0] > 0).mean()
    assert abs(frac - 0.5) < 4.5 * np.sqrt(0.25 / len(x))
    assert abs(np.abs(x[:, 0]).mean() - 1.2) < 0.05
    assert 50 < evals.mean() < 1000
    u0 = prior_draws(sde, 4, 5, dim=1)
    plain = probability_flow_ode(sde, fn, u0, sde.t_max, EPS)
    den = probability_flow_ode(sde, fn, u0, sde.t_max, EPS, denoise=True)
    torch.testing.assert_close(den.u, denoise_step(sde, fn, plain.u, EPS), rtol=1e-13, atol=1e-13)
    assert torch.equal(den.n_score_evals, plain.n_score_evals + 1)
    with pytest.raises(ValueError, match="downwards"):
        probability_flow_ode(sde, fn, u0, EPS, sde.t_max)


def test_a_non_finite_score_stops_at_once_naming_the_sample():
    sde = make_sde("passive")

    def score(u, t):
        out = -u.clone()
        out[2] = float("nan") if torch.is_tensor(t) and t.ndim and float(t[2]) < 0.5 else out[2]
        return out

    with pytest.raises(FloatingPointError, match="sample 2 of the batch"):
        probability_flow_ode(sde, score, torch.ones(4, 1, 1, dtype=torch.float64), 1.0, 1e-3)
