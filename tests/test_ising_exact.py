"""Exact Ising references (docs/theory.md 8) against brute-force enumeration, transfer matrices and
the tabulated values."""

import itertools
import math

import numpy as np
import pytest

from activediff.ising.exact import (
    CRITICAL_TEMPERATURE,
    exact_energy_per_spin,
    exact_energy_variance_per_spin,
    exact_log_partition,
    onsager_energy_per_spin,
    spontaneous_magnetization,
)

TEMPERATURES = [0.5, 1.0, 1.5, 2.0, CRITICAL_TEMPERATURE, 2.5, 3.0, 5.0]


def _all_states_energies(L):
    n = L * L
    bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    s = (2 * bits - 1).reshape(-1, L, L)
    return -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum(axis=(1, 2)).astype(float)


@pytest.fixture(scope="module")
def energies_l4():
    return _all_states_energies(4)


@pytest.mark.parametrize("T", TEMPERATURES)
def test_kaufman_matches_enumeration_l4(energies_l4, T):
    E, n = energies_l4, 16
    w = np.exp(-(E - E.min()) / T)
    Z = w.sum()
    mean = (w * E).sum() / Z
    var = (w * E ** 2).sum() / Z - mean ** 2
    assert exact_energy_per_spin(T, 4) == pytest.approx(mean / n, abs=1e-12)
    assert exact_energy_variance_per_spin(T, 4) == pytest.approx(var / n, abs=1e-9)
    assert exact_log_partition(T, 4) == pytest.approx(math.log(Z) - E.min() / T, abs=1e-12)


@pytest.mark.parametrize("L", [6, 8])
@pytest.mark.parametrize("T", [1.5, 2.0, 2.4, 3.5])
def test_kaufman_matches_transfer_matrix(L, T):
    """<E> = -(mean bond count) from the symmetric row-to-row transfer matrix:
    <bonds> = L Tr(T^{L-1} (T o B)) / Tr(T^L), B the bond count of a row pair."""
    K = 1.0 / T
    rows = np.array(list(itertools.product([-1, 1], repeat=L)))
    within = (rows * np.roll(rows, 1, axis=1)).sum(axis=1)
    bond = 0.5 * (within[:, None] + within[None, :]) + rows @ rows.T  # symmetric row-pair bond count
    top = bond.max()
    tm = np.exp(K * (bond - top))  # the shift by `top` rescales Z but not <bond>
    power = np.linalg.matrix_power(tm, L - 1)
    mean_bonds = L * np.trace(power @ (tm * bond)) / np.trace(power @ tm)
    assert exact_energy_per_spin(T, L) == pytest.approx(-mean_bonds / L ** 2, abs=1e-10)


@pytest.mark.parametrize("T, value", [(1.5, -1.9511165731), (2.0, -1.7455645270), (3.0, -0.8173097389)])
def test_tabulated_l32_values(T, value):
    assert exact_energy_per_spin(T, 32) == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("T, u_inf, m_inf", [(1.5, -1.9511165731, 0.986500), (2.0, -1.7455645753, 0.911319),
                                             (3.0, -0.8173095925, 0.0)])
def test_onsager_values(T, u_inf, m_inf):
    assert onsager_energy_per_spin(T) == pytest.approx(u_inf, abs=1e-9)
    assert spontaneous_magnetization(T) == pytest.approx(m_inf, abs=1e-6)


@pytest.mark.parametrize("T", [1.0, 1.5, 3.0, 4.0])
def test_kaufman_tends_to_onsager(T):
    # away from T_c the finite-size correction decays like exp(-L / xi): negligible at L = 256
    assert exact_energy_per_spin(T, 256) == pytest.approx(onsager_energy_per_spin(T), abs=1e-9)


def test_critical_point():
    assert CRITICAL_TEMPERATURE == pytest.approx(2.269185314, abs=1e-9)
    assert onsager_energy_per_spin(CRITICAL_TEMPERATURE) == pytest.approx(-math.sqrt(2), abs=1e-12)
    assert onsager_energy_per_spin(CRITICAL_TEMPERATURE * (1 - 1e-9)) == pytest.approx(-math.sqrt(2), abs=1e-6)
    assert spontaneous_magnetization(CRITICAL_TEMPERATURE) == 0.0
    # the finite-size shift at T_c is large (docs/theory.md 8), and Kaufman stays finite there
    shift = exact_energy_per_spin(CRITICAL_TEMPERATURE, 32) + math.sqrt(2)
    assert -0.03 < shift < -0.01
    assert exact_energy_per_spin(CRITICAL_TEMPERATURE, 32) == pytest.approx(
        exact_energy_per_spin(CRITICAL_TEMPERATURE * (1 + 1e-12), 32), abs=1e-9)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="temperature"):
        exact_energy_per_spin(-1.0, 8)
    with pytest.raises(ValueError, match="lattice size"):
        exact_energy_per_spin(2.0, 1)
