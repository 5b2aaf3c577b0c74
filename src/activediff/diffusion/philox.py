"""Counter-based normal draws: Philox4x64-10, one key per sample, compiled with numba.

Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC 2011). A Philox block maps a
128-bit key and a 256-bit counter to 256 random bits by ten rounds of multiply/xor; nothing is
sequential, so the numbers of sample i (key (i, seed)) at block j of sub-stream s (counter
(j + 1, s, 0, 0)) are computed for all samples at once and depend on (seed, i, s, j) only, never
on the batch. It is the
bit generator numpy calls `Philox`, round for round: `raw_words` agrees word for word with
`numpy.random.Philox(key=i + seed * 2**64, counter=[0, s, 0, 0]).random_raw()`
(tests/test_philox.py).

Normals by Box-Muller on consecutive word pairs (w1, w2) of a stream:
    u1 = 1 - (w1 >> 11) 2^-53 in (0, 1],  u2 = (w2 >> 11) 2^-53 in [0, 1),
    z = sqrt(-2 ln u1) cos(2 pi u2),  z' = sqrt(-2 ln u1) sin(2 pi u2),
exact in distribution to double precision; a sample's normals are z, z', z, z', ... of its words.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

M0, M1 = np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157)
W0, W1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B)
LOW32, SHIFT32, SHIFT11 = np.uint64(0xFFFFFFFF), np.uint64(32), np.uint64(11)
ONE = np.uint64(1)
TWO_POW_M53 = 2.0**-53


@njit(inline="always")
def _mulhi(a, b):
    """High 64 bits of the 128-bit product a * b (both uint64)."""
    a_lo, a_hi = a & LOW32, a >> SHIFT32
    b_lo, b_hi = b & LOW32, b >> SHIFT32
    t = a_hi * b_lo + ((a_lo * b_lo) >> SHIFT32)      # < 2^64
    w = a_lo * b_hi + (t & LOW32)                      # < 2^64
    return a_hi * b_hi + (t >> SHIFT32) + (w >> SHIFT32)


@njit(inline="always")
def _block(k0, k1, c0, c1, out, at):
    """The four words of counter (c0, c1, 0, 0) under key (k0, k1) into out[at:at + 4]."""
    c2 = np.uint64(0)
    c3 = np.uint64(0)
    for r in range(10):
        if r > 0:
            k0 = k0 + W0
            k1 = k1 + W1
        hi0, lo0 = _mulhi(M0, c0), M0 * c0
        hi1, lo1 = _mulhi(M1, c2), M1 * c2
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    out[at], out[at + 1], out[at + 2], out[at + 3] = c0, c1, c2, c3


@njit(cache=True)
def _raw_words(seed, indices, n_words, stream):
    out = np.empty((indices.size, n_words + (-n_words) % 4), dtype=np.uint64)
    for row in range(indices.size):
        for block in range(out.shape[1] // 4):
            _block(indices[row], seed, np.uint64(block) + ONE, stream, out[row], 4 * block)
    return out[:, :n_words]


@njit(cache=True)
def _normals(seed, indices, n, stream, first):
    """Normals first .. first + n - 1 of each stream; generation starts at the block holding
    normal `first` so that Box-Muller pairs stay those of the whole stream."""
    skip = first % 4
    total = n + skip
    words = np.empty(total + (-total) % 4, dtype=np.uint64)
    out = np.empty((indices.size, n))
    for row in range(indices.size):
        for block in range(words.size // 4):
            _block(indices[row], seed, np.uint64(first // 4 + block) + ONE, stream, words, 4 * block)
        for j in range(0, total, 2):
            u1 = 1.0 - float(words[j] >> SHIFT11) * TWO_POW_M53
            u2 = float(words[j + 1] >> SHIFT11) * TWO_POW_M53
            radius = math.sqrt(-2.0 * math.log(u1))
            if j >= skip:
                out[row, j - skip] = radius * math.cos(2.0 * math.pi * u2)
            if skip <= j + 1 < total:
                out[row, j + 1 - skip] = radius * math.sin(2.0 * math.pi * u2)
    return out


def _check(seed: int, indices) -> tuple[np.uint64, np.ndarray]:
    indices = np.asarray(indices)
    if indices.ndim != 1 or (indices.size and (indices.min() < 0 or not np.issubdtype(indices.dtype, np.integer))):
        raise ValueError("sample indices must be a 1-d array of non-negative integers")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be in [0, 2^64), got {seed}")
    return np.uint64(int(seed)), indices.astype(np.uint64)


def raw_words(seed: int, indices, n_words: int, stream: int = 0) -> np.ndarray:
    """(len(indices), n_words) uint64: the first words of stream (seed, index, stream) of each
    index (`stream` is the counter's second word: independent sub-streams of one sample)."""
    seed, indices = _check(seed, indices)
    return _raw_words(seed, indices, int(n_words), np.uint64(stream))


def normals(seed: int, indices, n: int, stream: int = 0, first: int = 0) -> np.ndarray:
    """(len(indices), n) standard normals; row r holds normals first .. first + n - 1 of stream
    (seed, indices[r], stream), so a long stream can be drawn piece by piece."""
    seed, indices = _check(seed, indices)
    if first < 0 or stream < 0:
        raise ValueError(f"first and stream must be non-negative, got {first}, {stream}")
    return _normals(seed, indices, int(n), np.uint64(stream), int(first))
