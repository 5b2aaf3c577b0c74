"""Networks net(u, t) -> (batch, *coords): the raw noise predictor that ScoreModel wraps.

Every network takes the whole state u (batch, n_channels, *coords) and the time t (batch,) and
returns one channel (the scored one) of shape (batch, *coords); score_model.ScoreModel turns that
into a score. Networks are built by name from plain keyword arguments (`build_net`), so a
checkpoint can store how to rebuild its network.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from activediff.training.unet import UNet


class MLP(nn.Module):
    """The toy network (docs/theory.md 2.6): `depth` hidden layers of `width` SiLU units on
    concat(flattened state, t); input n d + 1, output d."""

    def __init__(self, state_shape: tuple[int, ...], width: int = 128, depth: int = 4):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"MLP: depth and width must be >= 1, got depth={depth}, width={width}")
        self.state_shape = tuple(int(s) for s in state_shape)
        self.out_shape = self.state_shape[1:]
        layers: list[nn.Module] = []
        n_in = math.prod(self.state_shape) + 1
        for _ in range(depth):
            layers += [nn.Linear(n_in, width), nn.SiLU()]
            n_in = width
        layers.append(nn.Linear(n_in, math.prod(self.out_shape)))
        self.layers = nn.Sequential(*layers)

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = torch.cat([u.flatten(1), t.reshape(-1, 1)], dim=1)
        return self.layers(h).reshape((u.shape[0],) + self.out_shape)


# Registry of networks by name. The lattice (Ising) issue adds "unet" here: a periodic-padding
# NCSN++-style U-Net with the same interface, net(u (B, n, L, L), t (B,)) -> (B, L, L), built as
# UNet(state_shape, **params).
NETS: dict[str, type[nn.Module]] = {"mlp": MLP, "unet": UNet}


def build_net(name: str, state_shape: tuple[int, ...], **params) -> nn.Module:
    """A network by name for states of shape (n_channels, *coords), e.g.
    build_net("mlp", (2, 2), width=128, depth=4)."""
    try:
        cls = NETS[name]
    except KeyError:
        raise ValueError(f"unknown network {name!r}; expected one of {sorted(NETS)}") from None
    try:
        return cls(tuple(state_shape), **params)
    except TypeError as err:
        raise ValueError(f"network {name!r}: bad parameters {sorted(params)} ({err})") from None
