"""Where torch work runs: one resolution of the config's `device` value for every stage."""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' (CUDA when present), 'cpu' or 'cuda'; asking for CUDA without one is an error."""
    if name not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device: cuda requested, but torch {torch.__version__} sees no CUDA device")
    return torch.device(name)
