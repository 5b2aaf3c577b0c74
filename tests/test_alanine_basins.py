"""Basin populations: exact areas under uniform sampling, binomial error bars for independent
points, and block-bootstrap error bars of a correlated series against the Markov-chain formula."""

import numpy as np
import pytest

from activediff.alanine.basins import BASIN_NAMES, BASINS, basin_labels, block_ids, basin_populations
from activediff.io import InputError


def rectangle_area_fraction(name):
    return sum((p1 - p0) * (s1 - s0) for p0, p1, s0, s1 in BASINS[name]) / 360.0**2


def test_basins_do_not_overlap_and_other_fills_the_rest():
    grid = np.linspace(-180, 180, 721)[:-1] + 0.25
    phi, psi = (a.ravel() for a in np.meshgrid(grid, grid))
    labels = basin_labels(phi, psi)
    fractions = np.bincount(labels, minlength=len(BASIN_NAMES)) / labels.size
    for k, name in enumerate(BASINS):
        assert fractions[k] == pytest.approx(rectangle_area_fraction(name), abs=1e-12)
    # Overlapping rectangles would make the named basins sum to more than their union.
    assert fractions[-1] == pytest.approx(1 - sum(map(rectangle_area_fraction, BASINS)), abs=1e-12)


def test_boundaries_are_half_open_and_wrapped():
    names = [BASIN_NAMES[i] for i in basin_labels(
        np.array([-63.0, -120.0, -60.0, 60.0, 180.0, -90.0, 0.0, -63.0, 540.0 - 63.0]),
        np.array([-42.0, 130.0, 140.0, 40.0, 150.0, 150.0, 0.0, 50.0, -42.0]))]
    # phi = 180 wraps to -180 (beta); phi = -90 starts P_II; psi = 50 is no longer alpha_R;
    # phi = 0 starts the right half (alpha_L); phi = 477 wraps to 117 (alpha_L).
    assert names == ["alpha_R", "beta", "P_II", "alpha_L", "beta", "P_II", "alpha_L", "P_II",
                     "alpha_L"]


def test_uniform_points_give_area_fractions_with_binomial_errors():
    rng = np.random.default_rng(3)
    n = 40_000
    phi, psi = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    table = basin_populations(phi, psi, n_bootstrap=400, seed=1).set_index("basin")
    assert table["population"].sum() == pytest.approx(1.0)
    for name in BASINS:
        p = rectangle_area_fraction(name)
        binomial = np.sqrt(p * (1 - p) / n)
        assert table.loc[name, "stderr"] == pytest.approx(binomial, rel=0.2)
        assert abs(table.loc[name, "population"] - p) < 4.5 * binomial
        assert table.loc[name, "ci_low"] < table.loc[name, "population"] < table.loc[name, "ci_high"]


def test_block_bootstrap_of_a_correlated_series_matches_markov_chain_variance():
    # Two states (alpha_R, beta) switching with probability q per step: the indicator has
    # integrated autocorrelation time tau = (1 + lam) / (1 - lam), lam = 1 - 2q, so
    # var(mean) = p (1 - p) tau / n with p = 1/2. Blocks much longer than 1/q recover it;
    # independent resampling (block 1) underestimates it by sqrt(tau).
    rng = np.random.default_rng(7)
    n, q = 100_000, 0.02
    state = np.cumsum(rng.random(n) < q) % 2
    phi = np.where(state == 0, -63.0, -120.0)
    psi = np.where(state == 0, -42.0, 130.0)
    lam = 1 - 2 * q
    theory = np.sqrt(0.25 * (1 + lam) / (1 - lam) / n)
    blocked = basin_populations(phi, psi, block_length=1000, n_bootstrap=600, seed=2).set_index("basin")
    naive = basin_populations(phi, psi, block_length=1, n_bootstrap=50, seed=2).set_index("basin")
    assert blocked.loc["alpha_R", "stderr"] == pytest.approx(theory, rel=0.25)
    assert naive.loc["alpha_R", "stderr"] < theory / 4


def test_blocks_never_cross_segments():
    segment = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0, 0])
    assert block_ids(segment, 2).tolist() == [0, 0, 1, 1, 2, 3, 3, 4, 5, 5]


def test_same_seed_same_table_and_bad_inputs():
    rng = np.random.default_rng(0)
    phi, psi = rng.uniform(-180, 180, 500), rng.uniform(-180, 180, 500)
    a = basin_populations(phi, psi, block_length=10, seed=4)
    b = basin_populations(phi, psi, block_length=10, seed=4)
    assert a.equals(b)
    with pytest.raises(InputError, match="non-finite"):
        basin_populations(np.array([np.nan]), np.array([0.0]))
    with pytest.raises(InputError, match="one length"):
        basin_populations(phi, psi[:-1])
    with pytest.raises(InputError, match="block_length"):
        basin_populations(phi, psi, block_length=0)
