"""Exact references for the 2D Ising model (J = 1, k_B = 1, K = 1/T; docs/theory.md section 8).

- Kaufman (1949) partition function of the finite L x L torus, in Beale's (1996) form, gives the
  exact <E>/N and the heat capacity at the lattice size of the data (the finite-size shift near T_c
  is about 2e-2, far above the Monte Carlo error, so the infinite-lattice value is never a test).
- Onsager's energy per spin and Yang's spontaneous magnetisation for the infinite lattice.

Energies are the standard E = -sum over the 2N nearest-neighbour bonds (ground state -2 per spin).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ellipk

CRITICAL_TEMPERATURE = 2.0 / math.log(1.0 + math.sqrt(2.0))  # T_c = 2.269185...


def _log_terms(K: float, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln|Z_i|, their K-derivatives and signs for Z_1..Z_4 of Kaufman's formula (Beale form).

    Z1 = prod 2cosh(L g_odd/2), Z2 = prod 2sinh(L g_odd/2), Z3 = prod 2cosh(L g_even/2),
    Z4 = prod 2sinh(L g_even/2), with g_j from cosh g_j = c(K) - cos(pi j / L) and the signed
    g_0 = 2K + ln tanh K, which makes Z4 negative below T_c.
    """
    s2, c2 = math.sinh(2 * K), math.cosh(2 * K)
    c = c2 * c2 / s2
    dc = 2 * c2 * (2 * s2 * s2 - c2 * c2) / (s2 * s2)
    j = np.arange(2 * L)
    gamma = np.empty(2 * L)
    gamma[1:] = np.arccosh(c - np.cos(np.pi * j[1:] / L))  # > 0: c >= 2 and cos < 1 for j >= 1
    dgamma = np.empty_like(gamma)
    dgamma[1:] = dc / np.sinh(gamma[1:])
    gamma[0] = 2 * K + math.log(math.tanh(K))
    dgamma[0] = 2 + 2 / s2
    x = L * gamma / 2
    dx = L * dgamma / 2
    # ln(2 cosh x) and ln|2 sinh x| without overflow: |x| + ln(1 +- e^{-2|x|}).
    ax = np.abs(x)
    log_cosh = ax + np.log1p(np.exp(-2 * ax))
    with np.errstate(divide="ignore"):
        log_sinh = ax + np.log(-np.expm1(-2 * ax))
    d_log_cosh = np.tanh(x) * dx
    with np.errstate(divide="ignore", invalid="ignore"):
        d_log_sinh = dx / np.tanh(x)

    odd, even = j[1::2], j[0::2]
    logs = np.array([log_cosh[odd].sum(), log_sinh[odd].sum(), log_cosh[even].sum(), log_sinh[even].sum()])
    dlogs = np.array([d_log_cosh[odd].sum(), d_log_sinh[odd].sum(), d_log_cosh[even].sum(),
                      d_log_sinh[even].sum()])
    signs = np.array([1.0, 1.0, 1.0, math.copysign(1.0, gamma[0])])
    if gamma[0] == 0.0:  # exactly at T_c: Z4 = 0, but e^{l4} l4' stays finite = (prod_{r>0} 2 sinh) * L g_0'
        logs[3] = log_sinh[even][1:].sum()
        dlogs[3] = L * dgamma[0]
        signs[3] = 0.0  # in the denominator only; the numerator term is added in energy_per_spin
    return logs, dlogs, signs


def _log_z_and_energy(K: float, L: int) -> tuple[float, float]:
    logs, dlogs, signs = _log_terms(K, L)
    lmax = logs.max()
    w = np.exp(logs - lmax)
    if signs[3] == 0.0:  # T exactly T_c: Z4 = 0 and its derivative is the finite product stored
        denom = (w[:3]).sum()
        numer = (w[:3] * dlogs[:3]).sum() + w[3] * dlogs[3]
    else:
        denom = (signs * w).sum()
        numer = (signs * w * dlogs).sum()
    n = L * L
    log_z = math.log(0.5) + (n / 2) * math.log(2 * math.sinh(2 * K)) + lmax + math.log(denom)
    energy = -1.0 / math.tanh(2 * K) - numer / denom / n
    return log_z, energy


def _check(T: float, L: int | None = None) -> float:
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"temperature must be a positive finite number, got {T!r}")
    if L is not None and (int(L) != L or L < 2):
        raise ValueError(f"lattice size L must be an integer >= 2, got {L!r}")
    return 1.0 / T


def exact_log_partition(T: float, L: int) -> float:
    """ln Z of the L x L periodic Ising model at temperature T (Kaufman)."""
    return _log_z_and_energy(_check(T, L), int(L))[0]


def exact_energy_per_spin(T: float, L: int) -> float:
    """Exact <E>/N on the L x L torus, E = -sum over the 2N bonds (Kaufman, analytic derivative)."""
    return _log_z_and_energy(_check(T, L), int(L))[1]


def exact_energy_variance_per_spin(T: float, L: int, rel_step: float = 1e-4) -> float:
    """Exact Var(E)/N = -(1/N) d<E>/dK on the torus (heat capacity times T^2).

    Var(E) = d^2 ln Z / dK^2 = -d<E>/dK; the derivative of the analytic <E>/N (K) is a 4-point
    central difference (truncation O(h^4), rounding about 1e-12 / h at the default step)."""
    K = _check(T, L)
    h = rel_step * K
    e = [_log_z_and_energy(K + k * h, int(L))[1] for k in (-2, -1, 1, 2)]
    dE_dK = (e[0] - 8 * e[1] + 8 * e[2] - e[3]) / (12 * h)
    return -dE_dK


def onsager_energy_per_spin(T: float) -> float:
    """Infinite-lattice energy per spin u(T) (Onsager); -sqrt(2) at T_c."""
    K = _check(T)
    kappa = 2 * math.sinh(2 * K) / math.cosh(2 * K) ** 2
    if abs(kappa - 1.0) < 1e-15:
        return -math.sqrt(2.0)
    k1 = float(ellipk(kappa * kappa))  # scipy takes the parameter m = kappa^2
    t2 = math.tanh(2 * K) ** 2
    return -(1 / math.tanh(2 * K)) * (1 + (2 / math.pi) * (2 * t2 - 1) * k1)


def spontaneous_magnetization(T: float) -> float:
    """Infinite-lattice spontaneous magnetisation [1 - sinh(2K)^-4]^(1/8) below T_c, else 0."""
    K = _check(T)
    if T >= CRITICAL_TEMPERATURE:
        return 0.0
    return max(0.0, 1.0 - math.sinh(2 * K) ** -4) ** 0.125
