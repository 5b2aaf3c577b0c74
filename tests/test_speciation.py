"""Speciation criterion of Fig A8 (docs/theory.md 6): a(t)^2 Lambda = Delta_t checked against
closed forms and against an independent solve, the Lambda of each toy set, and the two tables."""

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad_vec
from scipy.linalg import expm

from activediff.diffusion.sde import make_sde
from activediff.toy import data as toy
from activediff.toy import speciation as sp

BETA = 4.0  # constant beta: physical time s = BETA t
TIME = dict(beta=BETA, t_max=1.0)
PROCESSES = {"passive": dict(k=1.0, T=1.0), "active": dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="stationary"),
             "cld": dict(m_inv=4.0, gamma=0.04)}  # the config's processes


def config_sdes():
    return {name: make_sde(name, **params, **TIME) for name, params in PROCESSES.items()}


# ---- independent routes to t_s ------------------------------------------------------------------


def kernel_x_variance(A, D, S0, s):
    """Var(x_s | x_0) from the matrices of the SDE written out here: e^{As} S0 e^{A^T s} + the
    Lyapunov integral int_0^s e^{Ar} D e^{A^T r} dr (by quadrature, not the module's closed forms)."""
    E = expm(A * s)
    M = quad_vec(lambda r: expm(A * r) @ D @ expm(A * r).T, 0.0, s, epsabs=1e-13, epsrel=1e-11)[0]
    return (E @ S0 @ E.T + M)[0, 0]


def bisect_criterion(sde, lam, lo=1e-9, hi=10.0, iters=200):
    """Plain bisection of a(t)^2 Lambda - Delta_t on the process's own kernel, after checking on a
    fine grid that it changes sign exactly once (so the root is the one speciation_time reports)."""
    def gap(t):
        return float(sde.mean_coeff(t)[0] ** 2 * lam - sde.x_marginal_var(t))

    grid = np.geomspace(lo, hi, 2000)
    signs = np.sign([gap(t) for t in grid])
    assert signs[0] > 0 and signs[-1] < 0 and np.count_nonzero(np.diff(signs)) == 1
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gap(mid) > 0 else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("k, T", [(1.0, 1.0), (1.5, 0.7)])
@pytest.mark.parametrize("lam", [0.03, 0.17, 1.69, 12.0])
def test_passive_speciation_time_has_the_closed_form(k, T, lam):
    """Passive: a = e^{-ks}, Delta = (T/k)(1 - a^2), so a^2 Lambda = Delta at s = ln(1 + k Lambda/T)/(2k)."""
    sde = make_sde("passive", k=k, T=T, **TIME)
    s = np.log1p(k * lam / T) / (2 * k)
    assert sp.speciation_time(sde, lam) == pytest.approx(s / BETA, rel=1e-9)


def test_passive_speciation_time_follows_a_growing_beta():
    """With beta(t) = beta0 + beta1 t the physical time is B(t) = beta0 t + beta1 t^2/2: t_s is
    the positive root of B(t) = s."""
    beta0, beta1, lam = 2.0, 6.0, 1.69
    sde = make_sde("passive", k=1.0, T=1.0, beta=beta0, beta1=beta1, t_max=1.0)
    s = np.log1p(lam) / 2
    t = (-beta0 + np.sqrt(beta0**2 + 2 * beta1 * s)) / beta1
    assert sp.speciation_time(sde, lam) == pytest.approx(t, rel=1e-9)


def test_passive_large_lambda_asymptote():
    """Biroli et al.: t_s = (1/(2k)) ln(k Lambda / T) at large Lambda (here within 1/Lambda)."""
    sde = make_sde("passive", k=1.0, T=0.5, **TIME)
    for lam in (1e3, 1e4):
        assert BETA * sp.speciation_time(sde, lam) == pytest.approx(0.5 * np.log(lam / 0.5), abs=1 / lam)


@pytest.mark.parametrize("eta0", ["stationary", "zero"])
def test_active_minus_passive_shift_at_large_lambda(eta0):
    """T_p = 0, T_a = T: Delta_inf = T/(k(1 + k tau)), so t_s^A - t_s^P -> ln(1 + k tau)/(2k)."""
    k, tau, T = 1.0, 0.25, 1.0
    passive = make_sde("passive", k=k, T=T, **TIME)
    active = make_sde("active", k=k, tau=tau, Tp=0.0, Ta=T, eta0=eta0, **TIME)
    lam = 1e4
    shift = BETA * (sp.speciation_time(active, lam) - sp.speciation_time(passive, lam))
    assert shift == pytest.approx(np.log1p(k * tau) / (2 * k), abs=1e-4)
    assert shift > 0  # active speciates earlier in generation


def test_active_large_lambda_with_passive_noise():
    """t_s^A = (1/(2k)) ln(k Lambda (1 + k tau) / (T_a + T_p (1 + k tau))) at large Lambda."""
    k, tau, Tp, Ta, lam = 1.3, 0.4, 0.3, 0.8, 1e4
    sde = make_sde("active", k=k, tau=tau, Tp=Tp, Ta=Ta, **TIME)
    expected = np.log(k * lam * (1 + k * tau) / (Ta + Tp * (1 + k * tau))) / (2 * k)
    assert BETA * sp.speciation_time(sde, lam) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
@pytest.mark.parametrize("lam", [0.028, 0.168, 1.69, 8.0])
def test_speciation_time_is_the_bisected_root_of_the_exact_criterion(name, lam):
    sde = config_sdes()[name]
    assert sp.speciation_time(sde, lam) == pytest.approx(bisect_criterion(sde, lam), rel=1e-8, abs=1e-12)


def test_kernel_variance_of_the_criterion_matches_a_lyapunov_quadrature():
    """Delta_t that the criterion uses, against e^{As} S0 e^{A^T s} + int e^{Ar} D e^{A^T r} dr with
    A, D, S0 written from the SDEs of docs/theory.md 2 and 3 (not read off the module)."""
    k, tau, Tp, Ta = 1.0, 0.25, 0.2, 1.0
    M = 1 / 4.0
    G = 2 * np.sqrt(M)
    active = (np.array([[-k, 1.0], [0.0, -1 / tau]]), np.diag([2 * Tp, 2 * Ta / tau**2]))
    cases = {
        "passive": (make_sde("passive", k=k, T=1.0, **TIME), np.array([[-k]]), np.array([[2.0]]), np.zeros((1, 1))),
        "active": (make_sde("active", k=k, tau=tau, Tp=Tp, Ta=Ta, **TIME), *active, np.diag([0.0, Ta / tau])),
        "active_eta0_zero": (make_sde("active", k=k, tau=tau, Tp=Tp, Ta=Ta, eta0="zero", **TIME), *active,
                             np.zeros((2, 2))),
        "cld": (make_sde("cld", m_inv=4.0, gamma=0.04, **TIME), np.array([[0.0, 1 / M], [-1.0, -G / M]]),
                np.diag([0.0, 2 * G]), np.diag([0.0, 0.04 * M])),
    }
    for name, (sde, A, D, S0) in cases.items():
        for t in (0.003, 0.05, 0.4):
            assert sde.x_marginal_var(t) == pytest.approx(kernel_x_variance(A, D, S0, BETA * t), rel=1e-7), name
            assert sde.mean_coeff(t)[0] == pytest.approx(expm(A * BETA * t)[0, 0], rel=1e-10), name


def test_diamond_speciation_times_of_the_physics_notes():
    """docs/theory.md 6: diamond (B = 0.5) has t_s^P = 0.078, t_s^A = 0.210 in physical time."""
    sdes = config_sdes()
    lam = sp.largest_covariance_eigenvalue("diamond", dict(B=0.5, std=0.04), seed=0)
    assert BETA * sp.speciation_time(sdes["passive"], lam) == pytest.approx(0.078, abs=5e-4)
    assert BETA * sp.speciation_time(sdes["active"], lam) == pytest.approx(0.210, abs=5e-4)


def test_no_turn_gives_nan():
    """Lambda = 0: the curvature never turns; a root below the grid's first time is not reported."""
    sde = config_sdes()["passive"]
    assert np.isnan(sp.speciation_time(sde, 0.0))
    assert np.isnan(sp.speciation_time(sde, 1e-9))


# ---- Lambda of the toy sets ---------------------------------------------------------------------


@pytest.mark.parametrize("B, std", [(0.5, 0.04), (0.2, 0.04), (1.0, 0.3)])
def test_diamond_eigenvalue_is_the_closed_form(B, std):
    """Nine equal Gaussians on a rotated 3 x 3 grid of spacing B: C = (2B^2/3 + std^2) I."""
    lam = sp.largest_covariance_eigenvalue("diamond", dict(B=B, std=std), seed=0)
    assert lam == pytest.approx(2 * B**2 / 3 + std**2, rel=1e-12)


@pytest.mark.parametrize("kind", ["multigaussian_1d", "multigaussian_2d"])
def test_two_gaussian_eigenvalue_is_the_closed_form(kind):
    """Two equal Gaussians at +-mean along x: Lambda = mean^2 + std^2, whatever the seed."""
    for seed in (0, 1):
        lam = sp.largest_covariance_eigenvalue(kind, dict(mean=1.2, std=0.5), seed=seed)
        assert lam == pytest.approx(1.2**2 + 0.5**2, rel=1e-12)


def test_sets_without_a_mixture_use_the_covariance_of_their_draws():
    params = dict(offset=0.8, noise=0.2, scale=0.01)
    lam = sp.largest_covariance_eigenvalue("multimodal_swissroll", params, seed=11)
    x = toy.sample("multimodal_swissroll", 20000, 11, **params)
    assert lam == np.linalg.eigvalsh(np.cov(x.T)).max()
    assert lam != sp.largest_covariance_eigenvalue("multimodal_swissroll", params, seed=12)
    # five rolls at (0, 0) and (+-0.8, +-0.8): the offsets alone give 4/5 * 0.64 per axis
    assert lam == pytest.approx(0.8 * 0.64, rel=0.1)
    small = sp.largest_covariance_eigenvalue("multimodal_swissroll", params, seed=11, n_draws=500)
    assert small == np.linalg.eigvalsh(np.cov(toy.sample("multimodal_swissroll", 500, 11, **params).T)).max()


def test_dataset_lambdas_take_config_entries_and_leave_them_alone():
    datasets = {"diamond": {"kind": "diamond", "B": 0.5, "std": 0.04},
                "roll": {"kind": "swissroll", "noise": 0.2, "scale": 0.01}}
    before = {k: dict(v) for k, v in datasets.items()}
    lams = sp.dataset_lambdas(datasets, seed=3)
    assert datasets == before and list(lams) == ["diamond", "roll"]
    assert lams["diamond"] == sp.largest_covariance_eigenvalue("diamond", dict(B=0.5, std=0.04), 3)
    assert lams["roll"] == sp.largest_covariance_eigenvalue("swissroll", dict(noise=0.2, scale=0.01), 3)


# ---- the tables ---------------------------------------------------------------------------------


def test_criterion_table_shape_columns_and_values():
    sdes = {name: sde for name, sde in reversed(config_sdes().items())}  # the given order is kept
    lambdas = np.geomspace(0.05, 5, 7)
    table = sp.criterion_table(sdes, lambdas)
    assert list(table.columns) == ["sde", "lambda", "t_s"] and len(table) == 3 * 7
    assert pd.api.types.is_string_dtype(table["sde"]) and table["lambda"].dtype == table["t_s"].dtype == np.float64
    assert list(table["sde"].unique()) == ["cld", "active", "passive"]
    for name, group in table.groupby("sde", sort=False):
        assert np.array_equal(group["lambda"].to_numpy(), lambdas)
        assert group["t_s"].tolist() == [sp.speciation_time(sdes[name], lam) for lam in lambdas]
        assert np.all(np.diff(group["t_s"].to_numpy()) > 0)  # wider sets speciate earlier in generation
    assert len(sp.criterion_table(sdes)) == 3 * len(sp.LAMBDA_GRID)
    assert sp.LAMBDA_GRID[0] == 0.01 and sp.LAMBDA_GRID[-1] == pytest.approx(30) and len(sp.LAMBDA_GRID) == 120


def test_marker_table_is_process_major_with_each_sets_criterion():
    sdes = config_sdes()
    lams = {"diamond": 0.1682666667, "close": 0.0282666667, "wide": 1.69}
    table = sp.marker_table(sdes, lams)
    assert list(table.columns) == ["sde", "dataset", "lambda", "t_s"] and len(table) == 9
    assert table["sde"].tolist() == [s for s in sdes for _ in lams]
    assert table["dataset"].tolist() == list(lams) * 3
    assert table["lambda"].dtype == table["t_s"].dtype == np.float64
    for row in table.itertuples():
        assert row.t_s == sp.speciation_time(sdes[row.sde], lams[row.dataset])
    # at every set: passive < active < cld (docs/theory.md 6: active speciates earlier in generation)
    wide = table.pivot(index="dataset", columns="sde", values="t_s")
    assert ((wide["passive"] < wide["active"]) & (wide["active"] < wide["cld"])).all()
    empty = sp.marker_table(sdes, {})
    assert list(empty.columns) == ["sde", "dataset", "lambda", "t_s"] and empty.empty
    assert isinstance(empty, pd.DataFrame)
