"""Compiled CPU kernels of the Ising generator (numba), used by activediff.ising.mcmc.

Two Metropolis kernels, each parallel over independent chains with one xoshiro256** stream per
chain (or per group of 64 chains), so the output is the same for any thread count:

- `multispin_sweeps`: multi-spin coding. Bit b of word spins[g, i, j] is the spin (1 = up) of
  chain 64 g + b at site (i, j); a checkerboard half-sweep updates 64 chains with a dozen bitwise
  operations per site. Each chain gets its own acceptance decision: the uniform of every lane is
  built bit by bit from fresh random words and compared with the lane's threshold (exp(-4/T) or
  exp(-8/T) as a 64-bit fixed-point number), stopping as soon as every lane that needs a decision
  has one (about log2(64) + 1.3 words per site). Sharing one uniform across the 64 lanes would
  couple the chains; the validation's inter-chain overlap check catches that.
- `random_site_chains`: the paper's protocol, one int8 lattice per chain, a random site per
  attempt (one draw) and a 64-bit uniform (a second draw) when the move raises the energy.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

U64 = np.uint64
_ONE = U64(1)
_ZERO = U64(0)


@njit(inline="always")
def _rotl(x, k):
    return (x << U64(k)) | (x >> U64(64 - k))


@njit(inline="always")
def _xoshiro(s0, s1, s2, s3):
    """xoshiro256** step: returns (output, new state)."""
    out = _rotl(s1 * U64(5), 7) * U64(9)
    t = s1 << U64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return out, s0, s1, s2, s3


@njit(parallel=True, cache=True)
def multispin_sweeps(spins, rng, n_sweeps, thr_one, thr_zero):
    """n_sweeps checkerboard Metropolis sweeps of 64-chain words, in place.

    spins: (G, L, L) uint64, L even; rng: (G, 4) uint64 xoshiro states (updated in place);
    thr_one / thr_zero: acceptance probability * 2^64 for one / zero unsatisfied neighbour bonds
    (dE = +4 / +8); moves with two or more unsatisfied bonds (dE <= 0) are always accepted.
    """
    G, L = spins.shape[0], spins.shape[1]
    for g in prange(G):
        s0, s1, s2, s3 = rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3]
        for _ in range(n_sweeps):
            for parity in range(2):
                for i in range(L):
                    im = i - 1 if i > 0 else L - 1
                    ip = i + 1 if i < L - 1 else 0
                    for j in range((i + parity) % 2, L, 2):
                        jm = j - 1 if j > 0 else L - 1
                        jp = j + 1 if j < L - 1 else 0
                        s = spins[g, i, j]
                        a1 = s ^ spins[g, im, j]  # lanes where this bond is unsatisfied
                        a2 = s ^ spins[g, ip, j]
                        a3 = s ^ spins[g, i, jm]
                        a4 = s ^ spins[g, i, jp]
                        x12, y12 = a1 ^ a2, a1 & a2
                        x34, y34 = a3 ^ a4, a3 & a4
                        two_or_more = y12 | y34 | (x12 & x34)
                        any_bond = x12 | x34 | y12 | y34
                        exactly_one = any_bond & ~two_or_more
                        none = ~any_bond
                        accept = _ZERO
                        undecided = ~two_or_more
                        bit = 63
                        while undecided != _ZERO and bit >= 0:
                            r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                            b = U64(bit)
                            m_one = _ZERO - ((thr_one >> b) & _ONE)  # all ones if bit set
                            m_zero = _ZERO - ((thr_zero >> b) & _ONE)
                            threshold_bits = (exactly_one & m_one) | (none & m_zero)
                            accept |= undecided & threshold_bits & ~r  # U < p decided here
                            undecided &= ~(threshold_bits ^ r)  # still equal: next bit
                            bit -= 1
                        spins[g, i, j] = s ^ (two_or_more | accept)
        rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = s0, s1, s2, s3


@njit(parallel=True, cache=True)
def pack_chains(lattices, spins):
    """int8 (C, L, L) +-1 lattices -> (G, L, L) uint64 words (lanes beyond C are set up)."""
    C, L = lattices.shape[0], lattices.shape[1]
    G = spins.shape[0]
    for g in prange(G):
        for i in range(L):
            for j in range(L):
                w = _ZERO
                for b in range(64):
                    c = 64 * g + b
                    if c >= C or lattices[c, i, j] > 0:
                        w |= _ONE << U64(b)
                spins[g, i, j] = w


@njit(parallel=True, cache=True)
def unpack_chains(spins, out):
    """(G, L, L) uint64 words -> out (C, L, L) int8 +-1 for the first C chains."""
    C, L = out.shape[0], out.shape[1]
    for c in prange(C):
        g, b = c // 64, U64(c % 64)
        for i in range(L):
            for j in range(L):
                out[c, i, j] = 1 if (spins[g, i, j] >> b) & _ONE else -1


@njit(parallel=True, cache=True)
def random_site_chains(lattices, rng, n_attempts, thr_one, thr_zero):
    """n_attempts random-site Metropolis attempts on each int8 lattice (C, L, L), in place.

    rng: (C, 4) uint64 xoshiro states; thr_one / thr_zero: acceptance probability * 2^64 for
    dE = +4 / +8. Row and column come from the two 32-bit halves of one draw (exactly uniform
    when L divides 2^32, else biased by < L / 2^32); a second draw decides moves with dE > 0.
    """
    C, L = lattices.shape[0], lattices.shape[1]
    mask32 = U64(0xFFFFFFFF)
    size = U64(L)
    for c in prange(C):
        lat = lattices[c]
        s0, s1, s2, s3 = rng[c, 0], rng[c, 1], rng[c, 2], rng[c, 3]
        for _ in range(n_attempts):
            r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
            i = np.int64(((r >> U64(32)) * size) >> U64(32))
            j = np.int64(((r & mask32) * size) >> U64(32))
            s = np.int64(lat[i, j])
            field = (np.int64(lat[i - 1 if i > 0 else L - 1, j]) + np.int64(lat[i + 1 if i < L - 1 else 0, j])
                     + np.int64(lat[i, j - 1 if j > 0 else L - 1]) + np.int64(lat[i, j + 1 if j < L - 1 else 0]))
            half_de = s * field  # dE = 2 s * field
            if half_de > 0:
                u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                if u >= (thr_one if half_de == 2 else thr_zero):
                    continue
            lat[i, j] = -s
        rng[c, 0], rng[c, 1], rng[c, 2], rng[c, 3] = s0, s1, s2, s3


def fixed_point_threshold(p: float, bits: int) -> np.uint64:
    """floor(p * 2^bits) as uint64, capped at 2^bits - 1 (exact comparison with a `bits`-bit uniform)."""
    top = (1 << bits) - 1
    return np.uint64(min(top, int(p * float(1 << bits))))


def set_threads(threads: int | None) -> None:
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
