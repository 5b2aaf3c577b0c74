"""Small per-coordinate linear algebra shared by the SDEs, scores and samplers.

State arrays are channel-first: u has shape (batch, n, *coords) with n = 1 (passive) or n = 2
(x and its auxiliary variable). Matrices act on the channel axis and are either (n, n) or
batched (batch, n, n). Everything works on numpy arrays and torch tensors alike.
"""

from __future__ import annotations

import numpy as np
import torch


def namespace(*arrays):
    """torch if any argument is a tensor, numpy otherwise."""
    return torch if any(isinstance(a, torch.Tensor) for a in arrays) else np


def as_array(t, like=None):
    """t as a float64 numpy array, or as a tensor on `like`'s device and dtype when `like` is one."""
    if isinstance(like, torch.Tensor):
        return torch.as_tensor(t, dtype=like.dtype, device=like.device)
    if isinstance(t, torch.Tensor):
        return t
    return np.asarray(t, dtype=np.float64)


def block(rows, like):
    """Stack a nested list of broadcastable entries into an array of shape like.shape + (n, n)."""
    xp = namespace(like)
    zero = xp.zeros_like(like)
    return xp.stack([xp.stack([entry + zero for entry in row], -1) for row in rows], -2)


def per_sample(value, u):
    """Reshape a scalar or a (batch,) array so it broadcasts against u of shape (batch, n, ...)."""
    xp = namespace(u)
    value = as_array(value, u) if xp is torch else np.asarray(value, dtype=u.dtype)
    if value.ndim == 0:
        return value
    return value.reshape(value.shape + (1,) * (u.ndim - value.ndim))


def apply(mat, u):
    """Apply per-coordinate matrices mat ((n, n) or (batch, n, n)) to u (batch, n, *coords)."""
    n = u.shape[1]
    rows = []
    for i in range(n):
        acc = 0
        for j in range(n):
            m = mat[..., i, j]
            if m.ndim:  # batched: (batch,) -> (batch, 1, ...)
                m = m.reshape(m.shape + (1,) * (u.ndim - 2))
            acc = acc + m * u[:, j]
        rows.append(acc)
    xp = namespace(u)
    return xp.stack(rows, 1)


def cholesky(S):
    """Lower Cholesky factor of (…, 1, 1) or (…, 2, 2) covariance blocks, in closed form.

    A zero variance in the first channel (t = 0) gives a zero first column instead of 0/0.
    """
    xp = namespace(S)
    n = S.shape[-1]
    l11 = xp.sqrt(S[..., 0, 0])
    if n == 1:
        return l11[..., None, None]
    safe = xp.where(l11 > 0, l11, xp.ones_like(l11))
    l21 = xp.where(l11 > 0, S[..., 1, 0] / safe, xp.zeros_like(l11))
    l22 = xp.sqrt(xp.clip(S[..., 1, 1] - l21**2, 0, None))
    return block([[l11, 0.0], [l21, l22]], l11)


def matmul(a, b):
    xp = namespace(a, b)
    return a @ b if xp is torch else np.matmul(a, b)


def transpose(a):
    return a.transpose(-1, -2) if isinstance(a, torch.Tensor) else np.swapaxes(a, -1, -2)
