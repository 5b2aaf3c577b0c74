"""Sample-quality metrics, each with an error bar (docs/theory.md 2.6).

- kde_kl_bhattacharyya: the authors' analysis (scripts/quant_analysis.py of their fork, re-written):
  isotropic Gaussian KDE with absolute bandwidth h of data and generated points on a grid x grid
  lattice over the joint bounding box, both normalised to sum 1 and floored at 1e-10; reports
  KL(data || generated) = sum p log(p/q) and the Bhattacharyya coefficient sum sqrt(p q).
  Generated points beyond an IQR fence (threshold c) are dropped, and the data points at the same
  indices with them, as in their script. The fence hides diverged samples, so beside it:
- kde_kl_unfenced: KL(data || generated) with no fence and no renormalisation of what is left: both
  KDEs as densities integrated over the cells of a grid spanning the data's box +- 4 bandwidths;
  generated mass outside the grid (diverged or non-finite samples) is simply missing from q, so
  it raises the KL instead of vanishing. Counts: n_nonfinite, n_fenced (dropped by the fence),
  n_chunks_regridded (chunks whose samples spread so far that the joint grid could not resolve the
  bandwidth: the authors' value would be noise or nan there; it is taken on the data's box).
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


# A point's kernel factor beyond CUTOFF bandwidths is < exp(-72) ~ 5e-32 of its peak. Leaving it
# out changes no grid value that survives the 1e-10 floor by more than ~1e-22 relative (a cell
# above the floor holds >= 1e-10 of the total, ~n 2 pi h^2 / cell area), i.e. nothing in float64.
CUTOFF = 12.0
# Tile edge of the grouped evaluation, in grid cells: at most 16 keeps each tile's product below
# the size at which BLAS starts threads (measured 30-50x slower per product at 32 and above on a
# loaded 2-core machine); smaller tiles only add Python work (2x slower at 8 on 10,000 points).
TILE = 16


def _kde_on_grid(points: np.ndarray, axes: list[np.ndarray], h: float) -> np.ndarray:
    """Unnormalised isotropic Gaussian KDE on the tensor grid of `axes` (uniform, increasing):
    sum_i prod_j exp(-(x_ij - g_j)^2 / 2h^2). Separable, so exact and fast; in 2D each point
    only reaches the cells within CUTOFF bandwidths, so points are grouped into tiles of the grid
    and each tile adds one small product to the cells it reaches (_kde_tiled)."""
    if len(axes) == 1:
        return _factors(points[:, 0], axes[0], h).sum(0)
    if len(axes) != 2:
        raise ValueError("KDE metrics support 1D and 2D data only")
    if not _tiles_pay(axes, h):
        return _factors(points[:, 0], axes[0], h).T @ _factors(points[:, 1], axes[1], h)
    return _kde_tiled(points, axes, h)


def _factors(x: np.ndarray, ax: np.ndarray, h: float) -> np.ndarray:
    """exp(-(x_i - g)^2 / 2h^2) for points x and grid values g, exactly 0 beyond CUTOFF bandwidths
    (no subnormal numbers: products of those run ~100x slower on some CPUs)."""
    e = -0.5 * ((x[:, None] - ax[None]) / h) ** 2
    return np.exp(np.where(e < -0.5 * CUTOFF**2, -np.inf, e))


def _reach(ax: np.ndarray, h: float) -> int:
    """Grid cells within CUTOFF bandwidths of a point, on one side."""
    return int(np.ceil(CUTOFF * h / (ax[1] - ax[0])))


def _tiles_pay(axes, h: float) -> bool:
    """Whether a tile reaches less than the whole grid (else the dense product is cheaper)."""
    ax, ay = axes
    if min(len(ax), len(ay)) < 2 or not (ax[1] > ax[0] and ay[1] > ay[0]):
        return False
    return TILE + 2 * max(_reach(ax, h), _reach(ay, h)) < min(len(ax), len(ay))


def _kde_tiled(points: np.ndarray, axes, h: float, tile: int = TILE) -> np.ndarray:
    """_kde_on_grid in 2D, points grouped by the tile of the grid they fall in: each group adds
    its factors' product to the cells within reach of the tile only."""
    (ax, ay), out = axes, np.zeros((len(axes[0]), len(axes[1])))
    cell = [(ax[-1] - ax[0]) / (len(ax) - 1), (ay[-1] - ay[0]) / (len(ay) - 1)]
    reach = [_reach(ax, h), _reach(ay, h)]
    # Tile of each point (points off the grid by more than the reach add nothing and are dropped).
    pos = [(points[:, j] - a[0]) / cell[j] for j, a in enumerate((ax, ay))]
    near = np.all([(p > -reach[j] - 1) & (p < len(a) + reach[j]) for j, (p, a) in enumerate(zip(pos, (ax, ay)))], 0)
    pts = points[near]
    if not len(pts):
        return out
    tiles = np.stack([np.floor(p[near] / tile).astype(np.int64) for p in pos], 1)
    order = np.lexsort((tiles[:, 1], tiles[:, 0]))
    pts, tiles = pts[order], tiles[order]
    starts = np.flatnonzero(np.r_[True, np.any(tiles[1:] != tiles[:-1], axis=1)])
    for lo, hi in zip(starts, np.r_[starts[1:], len(pts)]):
        (tx, ty), group = tiles[lo], pts[lo:hi]
        rows = slice(max(tx * tile - reach[0], 0), min((tx + 1) * tile + reach[0] + 1, len(ax)))
        cols = slice(max(ty * tile - reach[1], 0), min((ty + 1) * tile + reach[1] + 1, len(ay)))
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        out[rows, cols] += _factors(group[:, 0], ax[rows], h).T @ _factors(group[:, 1], ay[cols], h)
    return out


def kde_kl_bhattacharyya(data: np.ndarray, generated: np.ndarray, bandwidth: float = 0.01,
                         grid: int = 500, iqr_threshold: float = 2.0) -> tuple[float, float]:
    n = min(len(data), len(generated))
    data, generated = data[:n], generated[:n]
    keep = iqr_mask(generated, iqr_threshold)
    data, generated = data[keep], generated[keep]
    both = np.concatenate([data, generated])
    if _coarse(both, bandwidth, grid):
        # Samples spread so far that the joint box's grid no longer resolves the bandwidth: the
        # KDEs are sampled between their peaks (their script gives noise, or 0/0 = nan). Take
        # both as cell probabilities on the data's own box instead, where the far samples carry
        # no mass: a large, finite KL (the unfenced definition, on the fenced points).
        p, q = _cell_probabilities(data, generated, bandwidth, grid)
        p, q = np.maximum(p, 1e-10), np.maximum(q, 1e-10)
        return float(np.sum(p * np.log(p / q))), float(np.sum(np.sqrt(p * q)))
    axes = [np.linspace(lo, hi, grid) for lo, hi in zip(both.min(0), both.max(0))]
    p = _kde_on_grid(data, axes, bandwidth)
    q = _kde_on_grid(generated, axes, bandwidth)
    p = np.maximum(p / p.sum(), 1e-10)
    q = np.maximum(q / q.sum(), 1e-10)
    return float(np.sum(p * np.log(p / q))), float(np.sum(np.sqrt(p * q)))


def _coarse(points, bandwidth, grid) -> bool:
    """Whether a grid over the points' box is too coarse for the KDE (spacing > 10 bandwidths)."""
    return bool(np.any((points.max(0) - points.min(0)) / (grid - 1) > 10 * bandwidth))


def _unresolved(data, generated, bandwidth, grid, iqr_threshold) -> bool:
    """Whether the authors' joint-box grid, after the fence, is too coarse (see above)."""
    keep = iqr_mask(generated, iqr_threshold)
    return _coarse(np.concatenate([data[keep], generated[keep]]), bandwidth, grid)


def kde_kl_unfenced(data: np.ndarray, generated: np.ndarray, bandwidth: float = 0.01, grid: int = 500) -> float:
    """KL(data || generated) of the two KDEs as cell probabilities on the data's grid (see above)."""
    p, q = _cell_probabilities(data, generated, bandwidth, grid)
    p, q = np.maximum(p, 1e-10), np.maximum(q, 1e-10)
    return float(np.sum(p * np.log(p / q)))


def _cell_probabilities(data, generated, h, grid):
    """Both KDEs integrated over the cells of a grid on the data's box +- 4 h, each divided by its
    own number of points (non-finite generated points carry no mass)."""
    axes = [np.linspace(lo - 4 * h, hi + 4 * h, grid) for lo, hi in zip(data.min(0), data.max(0))]
    cell = np.prod([ax[1] - ax[0] for ax in axes])
    norm = cell / (2 * np.pi * h * h) ** (data.shape[1] / 2)
    finite = generated[np.all(np.isfinite(generated), axis=1)]
    p = _kde_on_grid(data, axes, h) * norm / len(data)
    q = _kde_on_grid(finite, axes, h) * norm / len(generated) if len(finite) else np.zeros_like(p)
    return p, q


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
    {metric: mean, metric_se: standard error over the chunks (n_replicates = n_chunks independent
    replicates: every generated sample has its own seed), plus the counts n_nonfinite and n_fenced
    summed over the chunks}. Needs n_chunks * n_eval points of each."""
    need = n_chunks * n_eval
    if len(data) < need or len(generated) < need:
        raise ValueError(f"metrics need {n_chunks} x {n_eval} = {need} points of data and of samples; "
                         f"got {len(data)} and {len(generated)}")
    if not np.all(np.isfinite(data)):
        raise FloatingPointError("metrics: the data contain non-finite values")
    raw = generated
    generated = np.where(np.isfinite(generated), generated, 1e6)  # diverged samples count as far away
    rows, counts = [], dict(n_nonfinite=0, n_fenced=0, n_chunks_regridded=0)
    for c in range(n_chunks):
        sl = slice(c * n_eval, (c + 1) * n_eval)
        counts["n_nonfinite"] += int((~np.all(np.isfinite(raw[sl]), axis=1)).sum())
        counts["n_fenced"] += int((~iqr_mask(generated[sl], iqr_threshold)).sum())
        counts["n_chunks_regridded"] += int(_unresolved(data[sl], generated[sl], kde_bandwidth, kde_grid,
                                                        iqr_threshold))
        kl, bc = kde_kl_bhattacharyya(data[sl], generated[sl], kde_bandwidth, kde_grid, iqr_threshold)
        rows.append(dict(kl=kl, bhattacharyya=bc,
                         kl_unfenced=kde_kl_unfenced(data[sl], raw[sl], kde_bandwidth, kde_grid),
                         sliced_w2=sliced_wasserstein2(data[sl], generated[sl], swd_projections, seed + c),
                         mmd2=mmd2(data[sl], generated[sl], mmd_bandwidth)))
    out = dict(n_replicates=n_chunks, **counts)
    for key in rows[0]:
        values = np.array([r[key] for r in rows])
        out[key] = float(values.mean())
        out[key + "_se"] = float(values.std(ddof=1) / np.sqrt(n_chunks))
    return out
