"""The Euler-Maruyama stability measure (diffusion/stability.py) against two independent routes:
the eigenvalues of the drift matrix for stationary Gaussian data, and the growth of an actual
Euler-Maruyama run."""

import numpy as np
import torch

from activediff.diffusion.samplers import reverse_em_samples, reverse_time_grid
from activediff.diffusion.scores import GaussianMixture, exact_score_fn
from activediff.diffusion.sde import make_sde
from activediff.diffusion.stability import em_amplification, gaussian_fit


def stationary_data(sde):
    """Data distributed as the passive stationary law N(0, T/k): p_t is then stationary and the
    reverse drift is linear with Jacobian beta (k - 2T / (T/k)) = -beta k."""
    return GaussianMixture(np.ones(1), np.zeros((1, 1)), np.array([[[sde.T / sde.k]]]))


def test_stationary_data_gives_the_drift_rate():
    sde = make_sde("passive", k=5.0, T=1.0)
    mix = stationary_data(sde)
    rate = sde.beta0 * sde.k  # 20 per code time
    for h in (0.02, 0.05, 0.1, 0.125, 0.25):
        grid = reverse_time_grid(1.0, h, "authors_analytic", eps=0.0)
        assert abs(em_amplification(sde, mix, grid) - abs(1 - h * rate)) < 1e-9


def test_amplification_above_one_means_euler_maruyama_diverges():
    torch.set_num_threads(1)
    sde = make_sde("passive", k=5.0, T=1.0)
    mix = stationary_data(sde)
    fn = exact_score_fn(mix, sde)
    spread = {}
    for h in (0.01, 0.2):  # factor 0.8 (stable) and 3 (unstable)
        grid = reverse_time_grid(1.0, h, "authors_analytic", eps=0.0)
        x = reverse_em_samples(sde, fn, (1,), 400, seed=3, dt=h, eps=0.0, grid="authors_analytic")
        spread[h] = (em_amplification(sde, mix, grid), float(x.std()))
    target = np.sqrt(sde.T / sde.k)
    assert spread[0.01][0] < 1 and abs(spread[0.01][1] / target - 1) < 0.15  # EM bias ~5%
    assert spread[0.2][0] > 2 and spread[0.2][1] > 10 * target


def test_the_diamond_flags_large_active_steps_only():
    """Measured on the wide diamond (docs/theory.md 10): passive stays stable at every step size,
    the active process is amplified at physical steps >= 0.1 under the analytic grid."""
    from activediff.toy.data import diamond_mixture

    mix = diamond_mixture(0.5, 0.04)
    for name, dt_phys, unstable in (("passive", 0.4, False), ("active", 0.4, True), ("active", 0.01, False)):
        sde = make_sde(name)
        grid = reverse_time_grid(1.0, sde.code_step(dt_phys), "authors_analytic", eps=0.0)
        assert (em_amplification(sde, mix, grid) > 1) == unstable


def test_gaussian_fit_has_the_data_moments():
    rng = np.random.default_rng(0)
    x = rng.normal([1.0, -2.0], [0.5, 2.0], size=(20000, 2))
    fit = gaussian_fit(x)
    np.testing.assert_allclose(fit.means[0], [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(np.diag(fit.covs[0]), [0.25, 4.0], rtol=0.05)
