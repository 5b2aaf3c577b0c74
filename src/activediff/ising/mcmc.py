"""Equilibrium 2D Ising lattices by Metropolis Monte Carlo (periodic L x L, J = 1; docs/theory.md 5).

`sample(L, T, n_samples, seed, **options)` returns int8 (n_samples, L, L) of +-1. Methods:

- "checkerboard" (default): `chains` independent chains updated together by checkerboard sweeps
  (one sweep = L^2 attempts per chain); after `burn_in_sweeps`, one lattice per chain is recorded
  every `thinning_sweeps`. Samples are ordered record-major: sample k is chain k % C at record
  k // C (C = min(chains, n_samples)).
- "paper": the authors' protocol, each sample its own chain of `paper_flips` random-site attempts
  from a random start (1e6 in the paper, about 977 sweeps at L = 32).

Routes: numba on the CPU (multi-spin coding for the checkerboard, 64 chains per machine word; see
ising_numba.py), torch when `device` is cuda (or `backend="torch"` on CPU tensors, for tests).
`device="auto"` picks CUDA when present. On CPU the output depends only on the arguments (not on
the thread count): the same bytes for the same seed.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

import numpy as np

from activediff.io import InputError, load_npz
from activediff.ising.exact import CRITICAL_TEMPERATURE

log = logging.getLogger("activediff.ising")

METHODS = ("checkerboard", "paper")
INITS = ("auto", "random", "ordered")


@dataclass
class IsingSamples:
    lattices: np.ndarray  # int8 (n, L, L)
    chain: np.ndarray  # int32 (n,): chain that produced each sample
    attempts: np.ndarray  # int64 (n,): attempted flips of that chain when the sample was taken

    def arrays(self) -> dict[str, np.ndarray]:
        return {"lattices": self.lattices, "chain": self.chain, "attempts": self.attempts}


def _initial_lattices(rng: np.random.Generator, n: int, L: int, T: float, init: str) -> np.ndarray:
    """Hot start (+-1 at random) or cold start (all +1 or all -1, sign at random per chain).

    "auto" starts cold below T_c: a hot start quenched below T_c can stay in stripe states
    far longer than any burn-in (docs/theory.md 5), while the ordered phase is reached directly.
    """
    if init == "auto":
        init = "ordered" if T < CRITICAL_TEMPERATURE else "random"
    if init == "random":
        return (2 * rng.integers(0, 2, size=(n, L, L), dtype=np.int8) - 1).astype(np.int8)
    signs = (2 * rng.integers(0, 2, size=n, dtype=np.int8) - 1).astype(np.int8)
    return np.broadcast_to(signs[:, None, None], (n, L, L)).copy()


def _check_arguments(L, T, n_samples, method, chains, burn_in_sweeps, thinning_sweeps, init, paper_flips):
    if int(L) != L or L < 2 or L % 2:
        raise ValueError(f"L must be an even integer >= 2 (checkerboard, periodic), got {L!r}")
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"temperature must be positive and finite, got {T!r}")
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if chains < 1 or burn_in_sweeps < 0 or thinning_sweeps < 1 or paper_flips < 0:
        raise ValueError("need chains >= 1, burn_in_sweeps >= 0, thinning_sweeps >= 1, paper_flips >= 0")


def generate(L: int, T: float, n_samples: int, seed: int, *, method: str = "checkerboard",
             chains: int = 1024, burn_in_sweeps: int = 2000, thinning_sweeps: int = 50,
             init: str = "auto", paper_flips: int = 1_000_000, device: str = "cpu",
             backend: str = "auto", threads: int | None = None, progress: bool = False) -> IsingSamples:
    """Lattices with their chain index and attempt count (see module docstring for the options)."""
    _check_arguments(L, T, n_samples, method, chains, burn_in_sweeps, thinning_sweeps, init, paper_flips)
    L, n_samples = int(L), int(n_samples)
    from activediff.devices import resolve_device  # torch is imported only when a run needs it

    device = resolve_device(device).type
    if backend == "auto":
        backend = "torch" if device == "cuda" else "numba"
    if backend not in ("numba", "torch") or (backend == "numba" and device != "cpu"):
        raise ValueError(f"backend must be numba (CPU) or torch, got {backend!r} on {device}")
    seq = np.random.SeedSequence([int(seed), METHODS.index(method)])
    init_seq, chain_seq = seq.spawn(2)
    init_rng = np.random.default_rng(init_seq)
    if method == "paper":
        start = _initial_lattices(init_rng, n_samples, L, T, "random" if init == "auto" else init)
        lattices = _run_paper(start, T, paper_flips, chain_seq, backend, device, threads, progress)
        return IsingSamples(lattices, np.arange(n_samples, dtype=np.int32),
                            np.full(n_samples, paper_flips, dtype=np.int64))
    n_chains = min(int(chains), n_samples)
    n_records = math.ceil(n_samples / n_chains)
    start = _initial_lattices(init_rng, n_chains, L, T, init)
    records = _run_checkerboard(start, T, burn_in_sweeps, thinning_sweeps, n_records, chain_seq,
                                backend, device, threads, progress)
    lattices = records.reshape(n_records * n_chains, L, L)[:n_samples]
    k = np.arange(n_samples)
    sweeps = burn_in_sweeps + (k // n_chains) * thinning_sweeps
    return IsingSamples(np.ascontiguousarray(lattices), (k % n_chains).astype(np.int32),
                        (sweeps * L * L).astype(np.int64))


def sample(L: int, T: float, n_samples: int, seed: int, **options) -> np.ndarray:
    """int8 (n_samples, L, L) of +-1 spins at temperature T; options as `generate`."""
    return generate(L, T, n_samples, seed, **options).lattices


def _progress(total: int, enabled: bool, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, unit=unit, mininterval=5.0, file=None)


def _run_checkerboard(start, T, burn_in, thinning, n_records, chain_seq, backend, device, threads, progress):
    C, L = start.shape[0], start.shape[1]
    out = np.empty((n_records, C, L, L), dtype=np.int8)
    bar = _progress(burn_in + thinning * (n_records - 1), progress, "sweep")
    if backend == "numba":
        from activediff.ising import mcmc_numba as nb

        nb.set_threads(threads)
        groups = math.ceil(C / 64)
        spins = np.empty((groups, L, L), dtype=np.uint64)
        nb.pack_chains(start, spins)
        rng = chain_seq.generate_state(4 * groups, dtype=np.uint64).reshape(groups, 4)
        rng[(rng == 0).all(axis=1), 0] = 1  # xoshiro's one forbidden state (probability 2^-256)
        thr_one = nb.fixed_point_threshold(math.exp(-4.0 / T), 64)
        thr_zero = nb.fixed_point_threshold(math.exp(-8.0 / T), 64)

        def advance(n):
            for done in range(0, n, 100):  # chunks only for the progress bar; same stream
                steps = min(100, n - done)
                nb.multispin_sweeps(spins, rng, steps, thr_one, thr_zero)
                bar.update(steps)

        def record(k):
            nb.unpack_chains(spins, out[k])
    else:
        from activediff.ising import mcmc_torch as tr

        _torch_threads(threads, device)
        gen = tr.make_generator(int(chain_seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)), device)
        import torch

        state = {"spins": torch.from_numpy(start).to(device)}

        def advance(n):
            for done in range(0, n, 100):
                steps = min(100, n - done)
                state["spins"] = tr.checkerboard_sweeps(state["spins"], T, steps, gen)
                bar.update(steps)

        def record(k):
            out[k] = tr.to_numpy(state["spins"])
    advance(burn_in)
    for k in range(n_records):
        if k:
            advance(thinning)
        record(k)
    bar.close()
    return out


def _run_paper(start, T, n_attempts, chain_seq, backend, device, threads, progress):
    C, L = start.shape[0], start.shape[1]
    bar = _progress(n_attempts, progress, "attempt")
    if backend == "numba":
        from activediff.ising import mcmc_numba as nb

        nb.set_threads(threads)
        lattices = start.copy()
        rng = chain_seq.generate_state(4 * C, dtype=np.uint64).reshape(C, 4)
        rng[(rng == 0).all(axis=1), 0] = 1
        thr_one = nb.fixed_point_threshold(math.exp(-4.0 / T), 64)
        thr_zero = nb.fixed_point_threshold(math.exp(-8.0 / T), 64)
        # chunks only for the progress bar: each chain's stream simply continues
        for done in range(0, n_attempts, 1 << 16):
            steps = min(1 << 16, n_attempts - done)
            nb.random_site_chains(lattices, rng, steps, thr_one, thr_zero)
            bar.update(steps)
    else:
        import torch

        from activediff.ising import mcmc_torch as tr

        _torch_threads(threads, device)
        gen = tr.make_generator(int(chain_seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)), device)
        spins = torch.from_numpy(start).to(device)
        lattices = tr.to_numpy(tr.random_site_attempts(spins, T, n_attempts, gen, progress=bar))
    bar.close()
    return lattices


def _torch_threads(threads, device):
    if device == "cpu" and threads is not None:
        import torch

        torch.set_num_threads(max(1, int(threads)))


def validate_lattices(array, L: int | None = None, source: str = "lattices") -> np.ndarray:
    """Return `array` if it is int8 (n, L, L) of +-1 only; else raise one InputError naming `source`."""
    expected = f"an int8 array of shape (n, {L or 'L'}, {L or 'L'}) with values -1 and +1"
    if not isinstance(array, np.ndarray):
        raise InputError(f"{source}: expected {expected}, got {type(array).__name__}")
    problems = []
    if array.dtype != np.int8:
        problems.append(f"dtype {array.dtype}")
    if array.ndim != 3 or array.shape[0] < 1 or array.shape[1] != array.shape[2] or (
            L is not None and array.shape[1:] != (L, L)):
        problems.append(f"shape {array.shape}")
    if array.dtype.kind not in "biuf":
        problems.append("non-numeric values")
    else:
        valid = (array == 1) | (array == -1)
        if array.dtype.kind == "f":
            nan = np.isnan(array)
            if nan.any():
                problems.append(f"{int(nan.sum())} NaN value(s)")
            valid |= nan  # counted above
        if not valid.all():
            bad = np.unique(array[~valid])
            problems.append(f"{int((~valid).sum())} value(s) other than +-1 (e.g. {bad[:5].tolist()})")
    if problems:
        raise InputError(f"{source}: expected {expected}; found " + ", ".join(problems))
    return array


def load_lattices(path: str | os.PathLike, L: int | None = None) -> np.ndarray:
    """Read key `lattices` of an .npz and check it (int8, (n, L, L), values +-1)."""
    data = load_npz(path, ("lattices",))
    return validate_lattices(data["lattices"], L, source=f"{path} (key 'lattices')")


def load_samples(path: str | os.PathLike, L: int | None = None) -> IsingSamples:
    """Lattices with their chain and attempt arrays, as written by the data rule."""
    data = load_npz(path, ("lattices", "chain", "attempts"))
    lattices = validate_lattices(data["lattices"], L, source=f"{path} (key 'lattices')")
    for key in ("chain", "attempts"):
        if data[key].shape != (lattices.shape[0],) or data[key].dtype.kind not in "iu":
            raise InputError(f"{path}: key '{key}' must be an integer array of shape ({lattices.shape[0]},), "
                             f"got {data[key].dtype} {data[key].shape}")
    return IsingSamples(lattices, data["chain"].astype(np.int32), data["attempts"].astype(np.int64))
