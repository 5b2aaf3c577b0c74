"""Observables of 2D Ising lattices (n, L, L) of +-1 spins, periodic, J = 1, and MCMC error analysis.

Shared by the data validation, the data figure and the evaluation of generated lattices (Fig 4, A7).
"""

from __future__ import annotations

import numpy as np


def _spins(lattices: np.ndarray) -> np.ndarray:
    s = np.asarray(lattices)
    if s.ndim == 2:
        s = s[None]
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise ValueError(f"expected lattices of shape (n, L, L), got {s.shape}")
    return s


def energy_per_spin(lattices: np.ndarray) -> np.ndarray:
    """E/N per configuration, with the standard E = -sum over the 2N nearest-neighbour bonds."""
    s = _spins(lattices).astype(np.int32)
    bonds = s * np.roll(s, -1, axis=1) + s * np.roll(s, -1, axis=2)
    return -bonds.sum(axis=(1, 2)) / float(s.shape[1] * s.shape[2])


def magnetization(lattices: np.ndarray) -> np.ndarray:
    """Signed magnetisation per spin of each configuration."""
    s = _spins(lattices)
    return s.sum(axis=(1, 2), dtype=np.int64) / float(s.shape[1] * s.shape[2])


def abs_magnetization(lattices: np.ndarray) -> np.ndarray:
    return np.abs(magnetization(lattices))


def coarse_grained_magnetization(lattices: np.ndarray, sizes=None, chunk: int = 512) -> np.ndarray:
    """m_n(s) = mean over all L^2 positions of |box mean of s over an n x n box|, per configuration.

    Periodic (wrap) boxes at stride 1 (docs/theory.md 5 [A]), so m_1 = 1 for +-1 spins and m_L = |m|.
    Box sums come exactly from an integer summed-area table of the lattice tiled 2 x 2.
    Returns an array (n_configs, len(sizes)); sizes default to 1..L.
    """
    s = _spins(lattices)
    L = s.shape[1]
    sizes = np.arange(1, L + 1) if sizes is None else np.asarray(sizes, dtype=int)
    if sizes.min() < 1 or sizes.max() > L:
        raise ValueError(f"box sizes must lie in 1..{L}, got {sizes.min()}..{sizes.max()}")
    out = np.empty((s.shape[0], len(sizes)))
    for start in range(0, s.shape[0], chunk):
        block = np.tile(s[start:start + chunk].astype(np.int32), (1, 2, 2))
        table = np.zeros((block.shape[0], 2 * L + 1, 2 * L + 1), dtype=np.int32)
        table[:, 1:, 1:] = block.cumsum(axis=1).cumsum(axis=2)
        for k, n in enumerate(sizes):
            box = (table[:, n:n + L, n:n + L] - table[:, :L, n:n + L]
                   - table[:, n:n + L, :L] + table[:, :L, :L])
            out[start:start + chunk, k] = np.abs(box).mean(axis=(1, 2)) / (n * n)
    return out


def displacement_radii(L: int) -> np.ndarray:
    """Euclidean length of the minimal-image displacement (dx, dy) on the L x L torus, shape (L, L)."""
    d = np.minimum(np.arange(L), L - np.arange(L))
    return np.sqrt(d[:, None] ** 2 + d[None, :] ** 2)


def two_point_correlation(lattices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic connected correlation C(r) = <s_i s_{i+d}> - <s>^2, with |d| rounded to the integer r.

    <s_i s_{i+d}> averages over sites, configurations and the displacements d of one bin; <s> is the
    mean spin of the whole ensemble (the fork's convention). Returns r = 0..L//2 and C(r).
    """
    s = _spins(lattices).astype(np.float64)
    L = s.shape[1]
    spectrum = np.zeros((L, L // 2 + 1))
    for start in range(0, s.shape[0], 512):
        f = np.fft.rfft2(s[start:start + 512])
        spectrum += (f.real ** 2 + f.imag ** 2).sum(axis=0)
    pair_mean = np.fft.irfft2(spectrum, s=(L, L)) / (s.shape[0] * L * L)
    mean_spin = s.mean()
    bins = np.rint(displacement_radii(L)).astype(int).ravel()
    r = np.arange(L // 2 + 1)
    corr = np.array([pair_mean.ravel()[bins == k].mean() for k in r]) - mean_spin ** 2
    return r, corr


def autocorrelation(series: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation rho(t), t = 0..n-1, of series (n,) or chains (n_chains, n).

    Deviations from the grand mean; the autocovariance is averaged over chains (biased estimator,
    divided by n), which is the right input for Sokal's window."""
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    n = x.shape[1]
    x = x - x.mean()
    f = np.fft.rfft(x, n=2 * n, axis=1)
    acov = np.fft.irfft(f.real ** 2 + f.imag ** 2, axis=1)[:, :n].mean(axis=0) / n
    if acov[0] <= 0:
        return np.r_[1.0, np.zeros(n - 1)]
    return acov / acov[0]


def integrated_autocorr_time(series: np.ndarray, window_factor: float = 5.0) -> tuple[float, int]:
    """Integrated autocorrelation time tau = 1 + 2 sum_{t=1}^{M} rho(t) (in samples; 1 = independent),
    with Sokal's automatic window: the smallest M with M >= window_factor * tau(M).

    Returns (tau, M). A series with one sample per chain, or a constant one, gives (1.0, 0). If no
    window satisfies the rule, M is the longest lag and tau is an underestimate (check M).
    """
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    if x.shape[1] < 2:
        return 1.0, 0
    rho = autocorrelation(x)
    taus = 1.0 + 2.0 * np.cumsum(rho[1:])
    lags = np.arange(1, len(rho))
    ok = lags >= window_factor * taus
    m = int(lags[np.argmax(ok)]) if ok.any() else int(lags[-1])
    return float(taus[m - 1]), m


def effective_sample_size(series: np.ndarray, window_factor: float = 5.0) -> float:
    """Number of samples divided by tau_int (tau floored at 1: never more than the sample count)."""
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    tau, _ = integrated_autocorr_time(x, window_factor)
    return x.size / max(tau, 1.0)
