"""Sample-quality metrics, each with an error bar (docs/theory.md 2.6).

- kde_kl_bhattacharyya: the authors' analysis (scripts/quant_analysis.py of their fork, re-written):
  isotropic Gaussian KDE with absolute bandwidth h of data and generated points on a grid x grid
  lattice over the joint bounding box, both normalised to sum 1 and floored at 1e-10; reports
  KL(data || generated) = sum p log(p/q) and the Bhattacharyya coefficient sum sqrt(p q).
  Generated points beyond an IQR fence (threshold c) are dropped, and the data points at the same
  indices with them, as in their script.
- sliced Wasserstein-2 over random unit directions (exact 1D W2 from sorted samples).
- MMD^2 (unbiased) with the Gaussian kernel k(x, y) = exp(-|x - y|^2 / (2 l^2)).
Error bars: the metric on n_chunks disjoint chunks of n_eval points; mean and standard error.
"""

from __future__ import annotations

import numpy as np


def iqr_mask(points: np.ndarray, threshold: float = 2.0) -> np.ndarray:
    """True for points inside [Q1 - c IQR, Q3 + c IQR] in every coordinate."""
    q1, q3 = np.percentile(points, [25, 75], axis=0)
    iqr = q3 - q1
    return np.all((points >= q1 - threshold * iqr) & (points <= q3 + threshold * iqr), axis=1)


def _kde_on_grid(points: np.ndarray, axes: list[np.ndarray], h: float) -> np.ndarray:
    """Unnormalised isotropic Gaussian KDE on the tensor grid of `axes` (separable: exact, fast)."""
    factors = [np.exp(-0.5 * ((points[:, j, None] - ax[None]) / h) ** 2) for j, ax in enumerate(axes)]
    if len(axes) == 1:
        return factors[0].sum(0)
    if len(axes) == 2:
        return factors[0].T @ factors[1]
    raise ValueError("KDE metrics support 1D and 2D data only")


def kde_kl_bhattacharyya(data: np.ndarray, generated: np.ndarray, bandwidth: float = 0.01,
                         grid: int = 500, iqr_threshold: float = 2.0) -> tuple[float, float]:
    n = min(len(data), len(generated))
    data, generated = data[:n], generated[:n]
    keep = iqr_mask(generated, iqr_threshold)
    data, generated = data[keep], generated[keep]
    both = np.concatenate([data, generated])
    axes = [np.linspace(lo, hi, grid) for lo, hi in zip(both.min(0), both.max(0))]
    p = _kde_on_grid(data, axes, bandwidth)
    q = _kde_on_grid(generated, axes, bandwidth)
    p = np.maximum(p / p.sum(), 1e-10)
    q = np.maximum(q / q.sum(), 1e-10)
    return float(np.sum(p * np.log(p / q))), float(np.sum(np.sqrt(p * q)))


def sliced_wasserstein2(x: np.ndarray, y: np.ndarray, n_projections: int = 256, seed: int = 0) -> float:
    """sqrt of the mean over random directions of W2^2 between the projected samples."""
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    d = x.shape[1]
    dirs = np.random.default_rng(seed).standard_normal((n_projections, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    px, py = np.sort(x @ dirs.T, axis=0), np.sort(y @ dirs.T, axis=0)
    return float(np.sqrt(np.mean((px - py) ** 2)))


def mmd2(x: np.ndarray, y: np.ndarray, length_scale: float = 0.1) -> float:
    """Unbiased MMD^2 with the Gaussian kernel of the given length scale."""
    def gram(a, b):
        sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None] - 2 * a @ b.T
        return np.exp(-np.maximum(sq, 0) / (2 * length_scale**2))

    m, n = len(x), len(y)
    kxx, kyy, kxy = gram(x, x), gram(y, y), gram(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def evaluate(data: np.ndarray, generated: np.ndarray, n_eval: int = 512, n_chunks: int = 5,
             kde_bandwidth: float = 0.01, kde_grid: int = 500, iqr_threshold: float = 2.0,
             swd_projections: int = 256, mmd_bandwidth: float = 0.1, seed: int = 0) -> dict[str, float]:
    """All metrics on n_chunks disjoint chunks of n_eval data and generated points:
    {metric: mean, metric_se: standard error}. Needs n_chunks * n_eval points of each."""
    need = n_chunks * n_eval
    if len(data) < need or len(generated) < need:
        raise ValueError(f"metrics need {n_chunks} x {n_eval} = {need} points of data and of samples; "
                         f"got {len(data)} and {len(generated)}")
    if not np.all(np.isfinite(generated)):
        generated = np.where(np.isfinite(generated), generated, 1e6)  # diverged samples count as far away
    rows = []
    for c in range(n_chunks):
        sl = slice(c * n_eval, (c + 1) * n_eval)
        kl, bc = kde_kl_bhattacharyya(data[sl], generated[sl], kde_bandwidth, kde_grid, iqr_threshold)
        rows.append(dict(kl=kl, bhattacharyya=bc,
                         sliced_w2=sliced_wasserstein2(data[sl], generated[sl], swd_projections, seed + c),
                         mmd2=mmd2(data[sl], generated[sl], mmd_bandwidth)))
    out = {}
    for key in rows[0]:
        values = np.array([r[key] for r in rows])
        out[key] = float(values.mean())
        out[key + "_se"] = float(values.std(ddof=1) / np.sqrt(n_chunks))
    return out
