"""Ramachandran basin populations of alanine dipeptide, with block-bootstrap error bars.

Basins are unions of rectangles in (phi, psi), degrees, half-open [low, high), after wrapping
both angles into [-180, 180). The boundaries are one common partition of the alanine-dipeptide
map (our choice [A]; the paper names no boundaries):

  alpha_R : phi in [-180, 0),   psi in [-120, 50)
  beta    : phi in [-180, -90), psi in [50, 180) or [-180, -120)
  P_II    : phi in [-90, 0),    psi in [50, 180) or [-180, -120)
  alpha_L : phi in [0, 180),    psi in [-60, 120)
  other   : everything else (phi > 0 outside alpha_L, e.g. the C7ax region)

so the five populations sum to one. The same function serves MD frames (correlated in time: use
blocks longer than the correlation time, per independent segment) and generated samples
(independent: block_length = 1 gives the ordinary bootstrap).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from activediff.io import InputError

# name -> list of (phi_low, phi_high, psi_low, psi_high)
BASINS: dict[str, list[tuple[float, float, float, float]]] = {
    "alpha_R": [(-180.0, 0.0, -120.0, 50.0)],
    "beta": [(-180.0, -90.0, 50.0, 180.0), (-180.0, -90.0, -180.0, -120.0)],
    "P_II": [(-90.0, 0.0, 50.0, 180.0), (-90.0, 0.0, -180.0, -120.0)],
    "alpha_L": [(0.0, 180.0, -60.0, 120.0)],
}
OTHER = "other"
BASIN_NAMES = (*BASINS, OTHER)
BASIN_LABELS = {"alpha_R": r"$\alpha_R$", "beta": r"$\beta$", "P_II": r"P$_{II}$",
                "alpha_L": r"$\alpha_L$", "other": "other"}


def wrap_degrees(angle: np.ndarray) -> np.ndarray:
    """Map angles (degrees) into [-180, 180)."""
    return (np.asarray(angle, dtype=np.float64) + 180.0) % 360.0 - 180.0


def basin_labels(phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Index into BASIN_NAMES of the basin of each (phi, psi) point."""
    phi, psi = wrap_degrees(phi), wrap_degrees(psi)
    if phi.shape != psi.shape or phi.ndim != 1:
        raise InputError(f"phi and psi must be 1-d arrays of one length, got shapes {phi.shape}, {psi.shape}")
    if not (np.all(np.isfinite(phi)) and np.all(np.isfinite(psi))):
        raise InputError("phi/psi contain non-finite values")
    labels = np.full(phi.shape, len(BASINS), dtype=np.int64)   # 'other' unless inside a basin
    for index, rectangles in enumerate(BASINS.values()):
        inside = np.zeros(phi.shape, dtype=bool)
        for p0, p1, s0, s1 in rectangles:
            inside |= (phi >= p0) & (phi < p1) & (psi >= s0) & (psi < s1)
        labels[inside & (labels == len(BASINS))] = index
    return labels


def block_ids(segment: np.ndarray, block_length: int) -> np.ndarray:
    """Block id of each point: runs of `block_length` consecutive points within one segment
    (a segment is a maximal run of equal `segment` values)."""
    run = np.r_[0, np.cumsum(np.diff(segment) != 0)]
    run_start = np.r_[0, np.flatnonzero(np.diff(segment) != 0) + 1]
    position = np.arange(segment.size) - run_start[run]
    key = run * (segment.size + 1) + position // block_length
    return np.unique(key, return_inverse=True)[1].ravel()


def basin_populations(phi: np.ndarray, psi: np.ndarray, *, block_length: int = 1,
                      segment: np.ndarray | None = None, n_bootstrap: int = 1000,
                      seed: int = 0) -> pd.DataFrame:
    """Population of each basin (fraction of points) with its bootstrap standard error and a 95%
    percentile interval. Points are resampled in blocks of `block_length` consecutive points
    that never cross a `segment` boundary (segments: independent runs, e.g. MD replicas); a
    shorter last block per segment is kept, and blocks are weighted by their size."""
    labels = basin_labels(phi, psi)
    if labels.size == 0:
        raise InputError("no (phi, psi) points to count")
    if block_length < 1 or n_bootstrap < 2:
        raise InputError(f"block_length must be >= 1 and n_bootstrap >= 2, got {block_length}, {n_bootstrap}")
    segment = np.zeros(labels.size, dtype=np.int64) if segment is None else np.asarray(segment)
    if segment.shape != labels.shape:
        raise InputError(f"segment has shape {segment.shape}, expected {labels.shape}")
    block = block_ids(segment, int(block_length))
    n_blocks = int(block.max()) + 1
    n_basins = len(BASIN_NAMES)
    # counts[b, k]: points of block b in basin k
    counts = np.zeros((n_blocks, n_basins))
    np.add.at(counts, (block, labels), 1.0)
    sizes = counts.sum(axis=1)
    rng = np.random.default_rng(seed)
    boot = np.empty((n_bootstrap, n_basins))
    for b in range(n_bootstrap):   # one resample at a time: memory O(n_blocks), no BLAS threads
        drawn = rng.integers(0, n_blocks, size=n_blocks)
        boot[b] = counts[drawn].sum(axis=0) / sizes[drawn].sum()
    estimate = counts.sum(axis=0) / sizes.sum()
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    return pd.DataFrame({"basin": list(BASIN_NAMES), "population": estimate,
                         "stderr": boot.std(axis=0, ddof=1), "ci_low": low, "ci_high": high,
                         "n_points": labels.size, "n_blocks": n_blocks, "block_length": int(block_length)})
