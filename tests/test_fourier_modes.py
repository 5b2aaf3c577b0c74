"""Fourier-mode decay of the forward kernel (Fig A6, docs/theory.md 2.2): the closed form against
the variance of the processes written out by hand and their small-time laws, and against the
simulated characteristic function of forward paths."""

import numpy as np
import pytest

from activediff.diffusion.sde import make_sde
from activediff.toy import fourier_modes as fm

BETA = 4.0
TIME = dict(beta=BETA, t_max=1.0)


def test_closed_form_of_passive_diffusion():
    """Var_x = (T/k)(1 - e^{-2 k beta t}): log|phat| = -q^2 Var/2, decay rate / q^2 = T beta e^{-2 k beta t}."""
    k, T = 1.3, 0.8
    sde = make_sde("passive", k=k, T=T, **TIME)
    q, times = [2.0, 5.0], np.array([0.0, 1e-3, 0.02, 0.1, 0.5])
    table = fm.closed_form(sde, q, times)
    assert list(table.columns) == ["q", "t", "log_abs_phat", "decay_rate_over_q2"] and len(table) == 10
    assert table["q"].tolist() == [2.0] * 5 + [5.0] * 5
    var = T / k * -np.expm1(-2 * k * BETA * times)
    for qv, rows in table.groupby("q"):
        np.testing.assert_array_equal(rows["t"], times)
        np.testing.assert_allclose(rows["log_abs_phat"], -0.5 * qv**2 * var, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(rows["decay_rate_over_q2"], T * BETA * np.exp(-2 * k * BETA * times), rtol=1e-5)


@pytest.mark.parametrize("eta0, power, coeff", [
    # Tp = 0, eta0 stationary: Var_x = (Ta/tau) s^2 + O(s^3), so rate/q^2 = beta^2 (Ta/tau) t
    ("stationary", 1, lambda Ta, tau: BETA**2 * Ta / tau),
    # eta0 = 0: Var(eta_r) = 2 Ta r / tau^2, Var_x = (2 Ta / tau^2) s^3 / 3, so rate/q^2 = beta^3 Ta t^2 / tau^2
    ("zero", 2, lambda Ta, tau: BETA**3 * Ta / tau**2),
])
def test_active_decay_rate_vanishes_at_small_time(eta0, power, coeff):
    """Why high modes survive longer under the active process: the decay rate starts at zero, as t
    (stationary eta_0) or t^2 (eta_0 = 0), where passive diffusion starts at T beta."""
    Ta, tau = 1.0, 0.25
    sde = make_sde("active", k=1.0, tau=tau, Tp=0.0, Ta=Ta, eta0=eta0, **TIME)
    times = np.array([1e-5, 2e-5, 4e-5])
    rate = fm.closed_form(sde, [1.0], times)["decay_rate_over_q2"].to_numpy()
    np.testing.assert_allclose(rate, coeff(Ta, tau) * times**power, rtol=2e-3)
    np.testing.assert_allclose(rate[1:] / rate[:-1], 2.0**power, rtol=2e-3)
    passive = fm.closed_form(make_sde("passive", k=1.0, T=Ta, **TIME), [1.0], times)["decay_rate_over_q2"]
    assert (rate < 1e-3 * passive.to_numpy()).all()


SIMULATED = {"passive": dict(k=1.0, T=1.0), "active": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0),
             "active_eta0_zero": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="zero"),
             "cld": dict(m_inv=4.0, gamma=0.04)}


@pytest.mark.parametrize("case", SIMULATED)
def test_simulated_modulus_matches_the_closed_form(case):
    sde = make_sde(case.removesuffix("_eta0_zero"), **SIMULATED[case], **TIME)
    q, times = [2.0, 5.0], np.array([0.3, 0.02, 0.1])  # unsorted on purpose: the table is sorted
    sim = fm.empirical(sde, q, times, x0=0.3, n_samples=4000, seed=5, steps_per_unit=2000)
    assert list(sim.columns) == ["q", "t", "abs_phat", "abs_phat_se"] and len(sim) == 6
    exact = fm.closed_form(sde, q, np.sort(times))
    np.testing.assert_array_equal(sim[["q", "t"]].to_numpy(), exact[["q", "t"]].to_numpy())
    expected = np.exp(exact["log_abs_phat"].to_numpy())
    z = (sim["abs_phat"].to_numpy() - expected) / sim["abs_phat_se"].to_numpy()
    assert np.abs(z).max() < 4, (z, expected)
    assert (sim["abs_phat_se"] > 0).all() and (sim["abs_phat_se"] < 0.05).all()


def test_simulated_modulus_does_not_depend_on_the_start_point():
    """For a point mass at x0 the kernel mean only shifts the phase: |phat| is the same for every x0."""
    sde = make_sde("active", k=1.0, tau=0.25, Tp=0.0, Ta=1.0, **TIME)
    a, b = (fm.empirical(sde, [2.0, 10.0], [0.01, 0.05], x0=x0, n_samples=500, seed=1, steps_per_unit=1000)
            for x0 in (0.0, 0.7))
    np.testing.assert_allclose(a["abs_phat"], b["abs_phat"], rtol=1e-9)
