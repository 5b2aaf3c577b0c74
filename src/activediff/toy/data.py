"""Toy distributions of the paper (docs/theory.md 4.3), drawn reproducibly from a seed.

Gaussian-mixture sets (diamond, multigaussian) also expose their exact mixture, so that the exact
score of the forward process is available (activediff.diffusion.scores).
"""

from __future__ import annotations

import numpy as np

from activediff.diffusion.scores import GaussianMixture
from activediff.io import InputError, load_npz

# (x, y) -> ((x + y)/sqrt2, (y - x)/sqrt2): the row-vector rotation R = [[1, -1], [1, 1]] / sqrt2.
_DIAMOND_ROTATION = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2.0)
ROLL_OFFSETS = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])


def diamond_mixture(B: float = 0.5, std: float = 0.04) -> GaussianMixture:
    """Nine Gaussians on a rotated 3 x 3 grid of spacing B, isotropic std, equal weights."""
    g = np.linspace(-B, B, 3)
    grid = np.array([(x, y) for x in g for y in g])
    means = grid @ _DIAMOND_ROTATION
    return GaussianMixture.isotropic(np.full(9, 1 / 9), means, std)


def multigaussian_mixture(mean: float = 1.2, std: float = 0.5, dim: int = 2) -> GaussianMixture:
    """Two Gaussians at x = +-mean (y = 0 in 2D), std per coordinate, equal weights."""
    means = np.zeros((2, dim))
    means[:, 0] = [-mean, mean]
    return GaussianMixture.isotropic(np.array([0.5, 0.5]), means, std)


def _swissroll(n: int, rng: np.random.Generator, noise: float = 0.2, scale: float = 0.01) -> np.ndarray:
    """sklearn's make_swiss_roll columns (0, 2): t = 1.5 pi (1 + 2U), (t cos t, t sin t) + noise."""
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) + noise * rng.standard_normal((n, 2))
    return scale * points


def _multimodal_swissroll(n: int, rng: np.random.Generator, offset: float = 0.8, noise: float = 0.2,
                          scale: float = 0.01) -> np.ndarray:
    """Five Swiss rolls, one at the origin and four at (+-offset, +-offset), multinomial counts."""
    counts = rng.multinomial(n, np.full(5, 0.2))
    rolls = [_swissroll(c, rng, noise, scale) + offset * ROLL_OFFSETS[i] for i, c in enumerate(counts)]
    return np.concatenate(rolls)[rng.permutation(n)]


def mixture_for(kind: str, **params) -> GaussianMixture | None:
    """The exact mixture of a Gaussian-mixture kind; None for the Swiss rolls."""
    if kind == "diamond":
        return diamond_mixture(**params)
    if kind == "multigaussian_1d":
        return multigaussian_mixture(dim=1, **params)
    if kind == "multigaussian_2d":
        return multigaussian_mixture(dim=2, **params)
    return None


def sample(kind: str, n: int, seed: int, **params) -> np.ndarray:
    """n points of a toy set, shape (n, d), float64; the same (kind, n, seed, params) gives the same bytes."""
    rng = np.random.default_rng(seed)
    try:
        if kind in ("diamond", "multigaussian_1d", "multigaussian_2d"):
            return mixture_for(kind, **params).sample(n, rng)
        if kind == "swissroll":
            return _swissroll(n, rng, **params)
        if kind == "multimodal_swissroll":
            return _multimodal_swissroll(n, rng, **params)
    except TypeError as err:
        raise ValueError(f"toy dataset of kind {kind!r}: bad parameters {sorted(params)} ({err})") from None
    raise ValueError(f"unknown toy dataset kind {kind!r}")


def dimension(kind: str) -> int:
    return 1 if kind == "multigaussian_1d" else 2


def load_points(path) -> np.ndarray:
    """The points x (n, d) of a toy data file (rule toy_data), checked: a float array of shape
    (n, 1) or (n, 2) with n >= 1 and every value finite; anything else is an InputError naming
    the file and what is wrong."""
    x = load_npz(path, ("x",))["x"]
    if x.ndim != 2 or x.shape[1] not in (1, 2) or len(x) == 0 or not np.issubdtype(x.dtype, np.floating):
        raise InputError(f"{path}: x must be a float array of shape (n, 1) or (n, 2), got {x.dtype} {x.shape}")
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise InputError(f"{path}: {int(bad.sum())} of {len(x)} rows are not finite (first: row {int(np.argmax(bad))})")
    return x

