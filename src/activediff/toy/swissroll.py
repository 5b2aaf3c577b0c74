"""Measurables of the Swiss-roll sets (Fig 3b, A3, A4): do generated samples find the rolls, and
do they resolve the spirals?

- Roll positions: each point goes to its nearest roll centre (the origin, and the four offsets
  of the five-roll sets); occupancy_tv = 1/2 sum_rolls |occupancy(generated) - occupancy(data)|.
- Spirals: each point's distance to the nearest noiseless spiral (t cos t, t sin t), t in
  [1.5 pi, 4.5 pi], of any roll, in the roll's own units (before `scale`); spiral_ratio = median
  distance of the generated points / median distance of the data (about 1 when the arms are
  resolved; the arms are 2 pi apart, so a blurred roll has ratio ~ 5-10).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from activediff.io import load_npz
from activediff.toy.data import ROLL_OFFSETS

KINDS = ("swissroll", "multimodal_swissroll")

T_RANGE = (1.5 * np.pi, 4.5 * np.pi)


def roll_centres(kind: str, offset: float = 0.8, **_) -> np.ndarray:
    """Centres (k, 2) of the rolls of a Swiss-roll kind (in data units)."""
    if kind == "swissroll":
        return np.zeros((1, 2))
    if kind == "multimodal_swissroll":
        return offset * ROLL_OFFSETS
    raise ValueError(f"not a Swiss-roll kind: {kind!r}")


def _spiral_tree(centres: np.ndarray, scale: float, n: int = 20000) -> cKDTree:
    t = np.linspace(*T_RANGE, n)
    curve = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    return cKDTree(np.concatenate([curve + c / scale for c in centres]))


def roll_measures(data: np.ndarray, generated: np.ndarray, kind: str, scale: float = 0.01, **params) -> dict:
    """occupancy_tv, spiral_ratio, and the medians behind the ratio, of a generated set against
    the data. Non-finite generated points count as off every roll and 1e6 roll units from it."""
    centres = roll_centres(kind, **params)
    finite = np.all(np.isfinite(generated), axis=1)

    def occupancy(points, valid):
        nearest = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        return np.bincount(nearest[valid], minlength=len(centres)) / len(points)

    occ_data = occupancy(data, np.ones(len(data), bool))
    occ_gen = occupancy(np.where(finite[:, None], generated, 0.0), finite)
    tree = _spiral_tree(centres, scale)
    d_data = tree.query(data / scale)[0]
    d_gen = np.full(len(generated), 1e6)  # a diverged point is as far from every spiral as it gets
    d_gen[finite] = tree.query(generated[finite] / scale)[0]
    median_data, median_gen = float(np.median(d_data)), float(np.median(d_gen))
    return dict(occupancy_tv=float(0.5 * np.abs(occ_gen - occ_data).sum() + 0.5 * (1 - finite.mean())),
                spiral_ratio=median_gen / median_data, spiral_median=median_gen, spiral_median_data=median_data,
                n_nonfinite=int((~finite).sum()))


def sample_file_rows(data: np.ndarray, samples_path, dataset: str, params: dict, sde: str, seed: int) -> list[dict]:
    """roll_measures of every entry of one learned sample file (toy/sampling.run_plan's arrays)."""
    params = dict(params)
    kind = params.pop("kind")
    keys = ("sampler", "iters", "dt_phys", "convention", "x")
    s = load_npz(samples_path, keys)
    return [dict(dataset=dataset, sde=sde, seed=int(seed), sampler=str(sampler), convention=str(conv), iters=int(it),
                 dt_phys=float(dt), **roll_measures(data, x, kind, **params))
            for sampler, it, dt, conv, x in zip(*(s[k] for k in keys))]
