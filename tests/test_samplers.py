"""Samplers: per-sample seeding, convergence to the exact law, denoising."""

import numpy as np
import pytest
import torch

from activediff.diffusion.samplers import (
    euler_maruyama,
    reverse_em_samples,
    reverse_time_grid,
    sample_noise,
    step_major,
    steps_for,
    time_grid,
)
from activediff.diffusion.scores import GaussianMixture, exact_score_fn
from activediff.diffusion.sde import make_sde
from activediff.toy.data import multigaussian_mixture


def test_samples_do_not_depend_on_batch_size():
    sde = make_sde("active")
    mix = multigaussian_mixture(dim=2)
    fn = exact_score_fn(mix, sde)
    a = reverse_em_samples(sde, fn, (2,), 300, seed=11, dt=0.05, eps=1e-3, batch_size=300)
    b = reverse_em_samples(sde, fn, (2,), 300, seed=11, dt=0.05, eps=1e-3, batch_size=64)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    tail = reverse_em_samples(sde, fn, (2,), 100, seed=11, dt=0.05, eps=1e-3, first_index=200)
    np.testing.assert_allclose(a[200:], tail, rtol=1e-12, atol=1e-13)


def test_step_major_is_the_plain_transpose():
    draws = np.random.default_rng(0).normal(size=(7, 150, 3))   # 150 steps: blocks of 64 and a rest
    np.testing.assert_array_equal(step_major(draws), np.ascontiguousarray(draws.transpose(1, 0, 2)))
    assert step_major(draws[:, 1:]).flags.c_contiguous


def test_sample_noise_streams_are_per_sample():
    p1, s1 = sample_noise(3, [0, 1, 2], (2, 1), 4)
    p2, s2 = sample_noise(3, [2], (2, 1), 4)
    np.testing.assert_array_equal(p1[2], p2[0])
    np.testing.assert_array_equal(s1[:, 2], s2[:, 0])
    assert not np.allclose(p1[0], p1[1])


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_exact_score_em_recovers_a_gaussian(name):
    """Data N(0.5, 0.3^2): with the exact score and a fine step, the generated mean and variance
    match the data within sampling error plus the O(dt) bias."""
    sde = make_sde(name)
    mix = GaussianMixture.isotropic(np.array([1.0]), np.array([[0.5]]), 0.3)
    x = reverse_em_samples(sde, exact_score_fn(mix, sde), (1,), 4000, seed=5, dt=0.002, eps=1e-3)[:, 0]
    n = len(x)
    assert abs(x.mean() - 0.5) < 4.5 * 0.3 / np.sqrt(n) + 0.01
    assert abs(x.var() - 0.09) < 4.5 * 0.09 * np.sqrt(2 / n) + 0.01


def test_reverse_em_recovers_bimodal_weights():
    sde = make_sde("passive")
    mix = multigaussian_mixture(mean=1.2, std=0.2, dim=1)
    x = reverse_em_samples(sde, exact_score_fn(mix, sde), (1,), 4000, seed=2, dt=0.004, eps=1e-3)[:, 0]
    frac = (x > 0).mean()
    assert abs(frac - 0.5) < 4.5 * np.sqrt(0.25 / len(x))


def test_denoising_step_is_drift_only():
    """Denoise = one extra drift step of size t_end from the last state."""
    sde = make_sde("passive")
    mix = GaussianMixture.isotropic(np.array([1.0]), np.array([[0.0]]), 0.5)
    fn = exact_score_fn(mix, sde)
    grid = time_grid(1.0, 0.01, 10)
    u0 = torch.randn(6, 1, 1, dtype=torch.float64)
    noise = torch.randn(10, 6, 1, 1, dtype=torch.float64)
    plain = euler_maruyama(sde, fn, u0, noise, grid)
    den = euler_maruyama(sde, fn, u0, noise, grid, denoise=True)
    torch.testing.assert_close(den, plain + sde.reverse_drift(plain, 0.01, fn(plain, 0.01)) * 0.01)


def test_steps_for():
    assert steps_for(0.005, 1.0) == 200
    assert steps_for(0.1, 0.999) == 10
    with pytest.raises(ValueError, match="larger than t_max"):
        steps_for(3.0, 1.0)


def test_time_grids_of_the_two_conventions():
    # authors_analytic: the score at n dt for n = N..1, the last step ending at 0
    g = reverse_time_grid(1.0, 0.25, "authors_analytic", eps=0.0)
    np.testing.assert_allclose(g, [1.0, 0.75, 0.5, 0.25, 0.0])
    # authors_nn: t_max down to eps in N steps; with denoising N - 1 steps, the last one from eps to 0
    np.testing.assert_allclose(reverse_time_grid(1.0, 0.25, "authors_nn", eps=0.01), np.linspace(1, 0.01, 5))
    np.testing.assert_allclose(reverse_time_grid(1.0, 0.25, "authors_nn", eps=0.01, denoise=True),
                               np.linspace(1, 0.01, 4))
    with pytest.raises(ValueError, match="no eps and no denoising"):
        reverse_time_grid(1.0, 0.25, "authors_analytic", eps=1e-3)
    with pytest.raises(ValueError, match="must be one of"):
        reverse_time_grid(1.0, 0.25, "uniform")


def test_analytic_grid_sampler_evaluates_the_score_at_multiples_of_dt():
    sde = make_sde("passive")
    seen = []

    def score(u, t):
        seen.append(t)
        return torch.zeros_like(u)

    reverse_em_samples(sde, score, (1,), 3, seed=0, dt=0.2, eps=0.0, grid="authors_analytic")
    np.testing.assert_allclose(seen, [1.0, 0.8, 0.6, 0.4, 0.2])


def test_sampling_settings_refuse_inconsistent_conventions():
    from activediff.diffusion.settings import SamplingSettings

    assert SamplingSettings(grid="authors_analytic", eps=0.0).label == "authors_analytic"
    with pytest.raises(ValueError, match="set eps: 0"):
        SamplingSettings(grid="authors_analytic", eps=1e-3)
    with pytest.raises(ValueError, match="unknown key"):
        SamplingSettings.from_config({"eps": 1e-3, "denoise": False, "sampling_eps": 1e-3})
    assert SamplingSettings(step_control="shared").label == "authors_nn, eps 0.001, shared ODE steps"
    with pytest.raises(ValueError, match="step_control must be one of"):
        SamplingSettings.from_config({"denoise": False, "step_control": "batch"})
