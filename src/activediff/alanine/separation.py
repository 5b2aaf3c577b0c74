"""How clearly the beta and P_II basins are separated: the density dip between them (Fig 3a).

beta and P_II share the extended psi band (psi in [50, 180) or [-180, -120), the basins of
activediff.alanine.basins) and differ in phi (beta below -90 degrees, P_II above). Along phi
inside that band, with phi in [-180, 0) cut into bins of `bin_deg`:

    rho(bin)  = points in the band and the bin / (all points * bin_deg)      (per degree)
    peaks     = the data's highest local maximum on each side of phi = -90 (beta below, P_II
                above; the fullest bin of a side can be the shoulder of the other basin's peak)
    dip       = the data's emptiest bin strictly between the two peaks (lower than both)
    contrast  = rho(dip) / (rho(dip) + min(rho(beta peak), rho(P_II peak)))     (0/0 -> 1/2)

The three bins are fixed once from the data and every set (data, each model) is read at them, so
a model is not credited for a dip somewhere else. Contrast 0 is two basins with nothing between,
1/2 a flat profile (the dip as full as the lower peak), above 1/2 no peak where the data have one
(1: a basin missing); unlike dip / peak it stays bounded and keeps ordering models that have no
dip at all. A model reproduces the separation when its contrast is the data's: the claim
compares |contrast - contrast(data)| of passive and active per training seed. The data's own
error is a block bootstrap over time, like its basin populations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from activediff.alanine.basins import BASINS, block_ids, wrap_degrees
from activediff.io import InputError

BOUNDARY_PHI = BASINS["P_II"][0][0]            # -90: where beta ends and P_II begins
BAND_PSI = [(s0, s1) for _, _, s0, s1 in BASINS["beta"]]
if BAND_PSI != [(s0, s1) for _, _, s0, s1 in BASINS["P_II"]]:
    raise RuntimeError("beta and P_II must share their psi band")


@dataclass(frozen=True)
class DipBins:
    """Bin indices (into band_density's bins) of the two peaks and the dip, from the data."""

    beta: int
    p_ii: int
    dip: int


def bin_edges(bin_deg: float) -> np.ndarray:
    n = 180.0 / bin_deg
    if not (bin_deg > 0 and abs(n - round(n)) < 1e-9 and round(n) >= 3):
        raise InputError(f"dip_bin_deg must divide 180 into >= 3 bins, got {bin_deg}")
    return np.linspace(-180.0, 0.0, int(round(n)) + 1)


def bin_centres(bin_deg: float) -> np.ndarray:
    """Centres of the phi bins of [-180, 0)."""
    edges = bin_edges(bin_deg)
    return 0.5 * (edges[:-1] + edges[1:])


def band_bins(phi: np.ndarray, psi: np.ndarray, bin_deg: float) -> np.ndarray:
    """Index of each point's phi bin of [-180, 0) when it lies in the beta/P_II psi band, else -1."""
    phi, psi = wrap_degrees(phi), wrap_degrees(psi)
    if phi.shape != psi.shape or phi.ndim != 1 or phi.size == 0:
        raise InputError(f"phi and psi must be non-empty 1-d arrays of one length, got {phi.shape}, {psi.shape}")
    if not (np.all(np.isfinite(phi)) and np.all(np.isfinite(psi))):
        raise InputError("phi/psi contain non-finite values")
    edges = bin_edges(bin_deg)
    in_band = np.zeros(phi.shape, dtype=bool)
    for s0, s1 in BAND_PSI:
        in_band |= (psi >= s0) & (psi < s1)
    in_band &= phi < 0.0
    which = np.clip(np.searchsorted(edges, phi, side="right") - 1, 0, len(edges) - 2)
    return np.where(in_band, which, -1)


def band_density(phi: np.ndarray, psi: np.ndarray, bin_deg: float) -> np.ndarray:
    """rho per phi bin of [-180, 0) inside the beta/P_II psi band (fraction of all points per degree)."""
    which = band_bins(phi, psi, bin_deg)
    n_bins = len(bin_edges(bin_deg)) - 1
    return np.bincount(which[which >= 0], minlength=n_bins) / (which.size * bin_deg)


def local_maxima(density: np.ndarray) -> np.ndarray:
    """Bins higher than the bin to their right and at least as high as the one to their left
    (one neighbour at the ends of [-180, 0)): the first bin of a plateau counts once."""
    left = np.r_[-np.inf, density[:-1]]
    right = np.r_[density[1:], -np.inf]
    return np.flatnonzero((density >= left) & (density > right) & (density > 0))


def dip_bins(data_density: np.ndarray, bin_deg: float) -> DipBins | None:
    """The data's beta peak and P_II peak (the highest local maximum on each side of phi = -90)
    and the emptiest bin between them; None when the data show no such pair of peaks with a bin
    between that is lower than both (too few frames, a basin never visited, or no dip)."""
    centers = bin_centres(bin_deg)
    peaks = local_maxima(data_density)
    beta_side, p_ii_side = peaks[centers[peaks] < BOUNDARY_PHI], peaks[centers[peaks] >= BOUNDARY_PHI]
    if beta_side.size == 0 or p_ii_side.size == 0:
        return None
    beta = int(beta_side[np.argmax(data_density[beta_side])])
    p_ii = int(p_ii_side[np.argmax(data_density[p_ii_side])])
    if p_ii - beta < 2:
        return None
    between = np.arange(beta + 1, p_ii)
    dip = int(between[np.argmin(data_density[between])])
    if data_density[dip] >= min(data_density[beta], data_density[p_ii]):
        return None
    return DipBins(beta, p_ii, dip)


def contrast(density: np.ndarray, bins: DipBins) -> float:
    """rho(dip) / (rho(dip) + min(rho(peaks))), with 0/0 -> 1/2 (nothing there: flat)."""
    low_peak = min(density[bins.beta], density[bins.p_ii])
    total = density[bins.dip] + low_peak
    return 0.5 if total == 0 else float(density[bins.dip] / total)


def data_contrast_bootstrap(phi, psi, segment, block_length: int, bins: DipBins, bin_deg: float,
                            n_bootstrap: int, seed: int) -> np.ndarray:
    """Bootstrap replicates of the data's contrast, resampling blocks of `block_length`
    consecutive frames within each `segment` (as basins.basin_populations); bins stay fixed."""
    which = band_bins(phi, psi, bin_deg)
    block = block_ids(np.asarray(segment), int(block_length))
    if block.shape != which.shape:
        raise InputError(f"segment has shape {block.shape}, expected {which.shape}")
    n_blocks = int(block.max()) + 1
    # counts[b, k]: band points of block b in phi bin k; sizes[b]: all points of block b
    counts = np.zeros((n_blocks, len(bin_edges(bin_deg)) - 1))
    np.add.at(counts, (block[which >= 0], which[which >= 0]), 1.0)
    sizes = np.bincount(block, minlength=n_blocks).astype(np.float64)
    rng = np.random.default_rng(seed)
    out = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        drawn = rng.integers(0, n_blocks, size=n_blocks)
        out[b] = contrast(counts[drawn].sum(axis=0) / (sizes[drawn].sum() * bin_deg), bins)
    return out


def _stderr(values: np.ndarray) -> float:
    """Standard error of the mean over seeds; inf for one seed (no error bar)."""
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("inf")


SUMMARY_COLUMNS = ["source", "contrast", "stderr", "error_from", "n", "distance_to_data",
                   "distance_stderr", "beta_phi", "p_ii_phi", "dip_phi", "bin_deg"]


def per_model_contrasts(models: list[tuple[str, int, np.ndarray, np.ndarray]], bins: DipBins,
                        bin_deg: float):
    """One row per model (sde, seed, phi, psi): its band density at the data's three bins and
    its contrast."""
    rows = []
    for sde, seed, phi, psi in models:
        rho = band_density(phi, psi, bin_deg)
        rows.append(dict(sde=sde, seed=int(seed), contrast=contrast(rho, bins), rho_beta=rho[bins.beta],
                         rho_p_ii=rho[bins.p_ii], rho_dip=rho[bins.dip], n_points=len(phi)))
    return pd.DataFrame(rows, columns=["sde", "seed", "contrast", "rho_beta", "rho_p_ii", "rho_dip",
                                       "n_points"])


def summarise(data_contrast: float, data_boot: np.ndarray, by_seed, bins: DipBins, bin_deg: float,
              sources):
    """Data row (error: block bootstrap) and one row per process (mean over training seeds,
    error over seeds; one seed has no error bar: inf). distance_to_data = mean |contrast_s -
    contrast(data)| over seeds, the claim's quantity."""
    centers = bin_centres(bin_deg)
    where = dict(beta_phi=centers[bins.beta], p_ii_phi=centers[bins.p_ii], dip_phi=centers[bins.dip],
                 bin_deg=bin_deg)
    rows = [dict(source="data", contrast=data_contrast, stderr=float(data_boot.std(ddof=1)),
                 error_from=f"block bootstrap ({data_boot.size} replicates)", n=1,
                 distance_to_data=0.0, distance_stderr=0.0, **where)]
    for sde in [s for s in sources if s in set(by_seed["sde"])]:
        values = by_seed.loc[by_seed["sde"] == sde, "contrast"].to_numpy(np.float64)
        distance = np.abs(values - data_contrast)
        n = len(values)
        rows.append(dict(source=sde, contrast=float(values.mean()), stderr=_stderr(values),
                         error_from="training seeds" if n > 1 else "one seed: no error bar", n=n,
                         distance_to_data=float(distance.mean()), distance_stderr=_stderr(distance), **where))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
