"""Torch route of the Ising generator (CUDA when present; the same code runs on CPU tensors).

Spins are int8 tensors (chains, L, L). The checkerboard route updates one sublattice of every
chain per half-sweep with one uniform per site; the paper route draws one random site per chain
per attempt. Random numbers come from one torch.Generator seeded from the caller's seed.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _acceptance_table(T: float, device) -> torch.Tensor:
    """P(accept) indexed by (s * neighbour sum + 4) / 2 = 0..4, i.e. dE = -8, -4, 0, 4, 8."""
    return torch.tensor([1.0, 1.0, 1.0, math.exp(-4.0 / T), math.exp(-8.0 / T)],
                        dtype=torch.float32, device=device)


def make_generator(seed: int, device) -> torch.Generator:
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def checkerboard_sweeps(spins: torch.Tensor, T: float, n_sweeps: int, gen: torch.Generator) -> torch.Tensor:
    """n_sweeps checkerboard Metropolis sweeps of int8 spins (C, L, L), L even; returns the new spins.

    Elementwise int8/bool work only (no gathers), so each half-sweep is a few memory-bound kernels."""
    L = spins.shape[-1]
    p_one, p_zero = math.exp(-4.0 / T), math.exp(-8.0 / T)  # dE = +4, +8
    idx = torch.arange(L, device=spins.device)
    parity = (idx[:, None] + idx[None, :]) % 2
    sublattices = [parity == 0, parity == 1]
    for _ in range(n_sweeps):
        for on in sublattices:
            field = spins.roll(1, 1) + spins.roll(-1, 1) + spins.roll(1, 2) + spins.roll(-1, 2)
            half_de = spins * field  # dE = 2 * half_de
            u = torch.rand(spins.shape, generator=gen, device=spins.device)
            accept = (half_de <= 0) | ((half_de == 2) & (u < p_one)) | ((half_de == 4) & (u < p_zero))
            spins = torch.where(accept & on, -spins, spins)
    return spins


def random_site_attempts(spins: torch.Tensor, T: float, n_attempts: int, gen: torch.Generator,
                         chunk: int = 1000, progress=None) -> torch.Tensor:
    """n_attempts random-site Metropolis attempts on every chain of int8 spins (C, L, L), in place."""
    C, L = spins.shape[0], spins.shape[-1]
    table = _acceptance_table(T, spins.device)
    flat = spins.view(C, L * L)
    rows = torch.arange(C, device=spins.device)
    site = torch.arange(L * L, device=spins.device)
    i, j = site // L, site % L
    neighbours = torch.stack([((i - 1) % L) * L + j, ((i + 1) % L) * L + j,
                              i * L + (j - 1) % L, i * L + (j + 1) % L], dim=1)  # (N, 4)
    done = 0
    while done < n_attempts:
        steps = min(chunk, n_attempts - done)
        # draws for a chunk at once: the same stream whatever the chunk size is not promised,
        # so the chunk size is fixed by the caller's arguments only.
        sites = torch.randint(0, L * L, (steps, C), generator=gen, device=spins.device)
        uniforms = torch.rand((steps, C), generator=gen, device=spins.device)
        for k in range(steps):
            s_idx = sites[k]
            s = flat[rows, s_idx]
            field = flat[rows[:, None], neighbours[s_idx]].sum(dim=1, dtype=torch.int8)
            flip = uniforms[k] < table[((s * field + 4) // 2).long()]
            flat[rows, s_idx] = torch.where(flip, -s, s)
        done += steps
        if progress is not None:
            progress.update(steps)
    return spins


def to_numpy(spins: torch.Tensor) -> np.ndarray:
    return spins.to("cpu").numpy().astype(np.int8, copy=False)
