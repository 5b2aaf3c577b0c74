"""Periodic-padding U-Net for lattice states, in the spirit of NCSN++ (Song et al. 2021, docs/theory.md 2.6).

net(u, t) -> (batch, L, L): u (batch, n_channels, L, L) is the whole diffusion state (spins x and
the auxiliary eta or v on the channel axis), t (batch,) the diffusion time; the output is the
noise prediction of the scored channel (score_model.ScoreModel turns it into a score).

What is kept of NCSN++: a configurable width (`channels`), depth (`channel_mult`, one entry per
resolution), `num_res_blocks` residual blocks per resolution, self-attention at chosen
resolutions (`attn_resolutions`, in lattice sites), a Gaussian Fourier (scale 16) or sinusoidal
time embedding, GroupNorm + SiLU, residual blocks with the time embedding added after the first
convolution, and skip rescaling by 1/sqrt(2). What is different: every convolution pads
periodically (the Ising lattice is a torus), and resampling is a stride-2 convolution down and
nearest-neighbour doubling plus a convolution up (no FIR kernels).

Symmetry: the network commutes exactly with translations of the torus by multiples of
2**(len(channel_mult) - 1) sites (the stride of the coarsest level); GroupNorm and attention are
translation invariant/equivariant, and periodic padding leaves no boundary.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

EMBEDDINGS = ("fourier", "positional")


def _groups(channels: int) -> int:
    """GroupNorm groups as NCSN++ (min(C // 4, 32)), reduced to a divisor of C."""
    g = max(1, min(channels // 4, 32))
    while channels % g:
        g -= 1
    return g


def periodic_pad(x: torch.Tensor) -> torch.Tensor:
    """Wrap one site on each side of the last two axes of (B, C, H, W), into a channels-last
    tensor: one allocation and slice copies (torch's padding_mode="circular" loses the
    channels-last layout and a pair of concatenations copies twice; both were several times
    slower in CPU benchmarks here)."""
    b, c, h, w = x.shape
    out = torch.empty((b, c, h + 2, w + 2), dtype=x.dtype, device=x.device, memory_format=torch.channels_last)
    out[..., 1:-1, 1:-1] = x
    out[..., 1:-1, 0] = x[..., -1]
    out[..., 1:-1, -1] = x[..., 0]
    out[..., 0, :] = out[..., -2, :]
    out[..., -1, :] = out[..., 1, :]
    return out


class PeriodicConv(nn.Conv2d):
    """3x3 convolution on the torus (periodic padding by one site), stride 1 or 2."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__(c_in, c_out, 3, stride=stride, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(periodic_pad(x))


def _conv3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return PeriodicConv(c_in, c_out, stride)


class TimeEmbedding(nn.Module):
    """Gaussian Fourier features sin/cos(2 pi W t), W ~ N(0, scale^2) fixed (NCSN++), or the
    DDPM sinusoidal embedding of 1000 t; then two dense layers with SiLU."""

    def __init__(self, channels: int, kind: str = "fourier", scale: float = 16.0):
        super().__init__()
        if kind not in EMBEDDINGS:
            raise ValueError(f"UNet: embedding must be one of {EMBEDDINGS}, got {kind!r}")
        half = channels // 2
        self.kind = kind
        if kind == "fourier":
            self.register_buffer("freqs", torch.randn(half) * scale)  # saved with the weights
        else:
            self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half) / max(half - 1, 1)))
        self.dense = nn.Sequential(nn.Linear(2 * half, 4 * channels), nn.SiLU(), nn.Linear(4 * channels, 4 * channels))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        if self.kind == "fourier":
            arg = 2 * math.pi * t[:, None] * self.freqs[None, :]
        else:
            arg = 1000.0 * t[:, None] * self.freqs[None, :]
        return self.dense(torch.cat([torch.sin(arg), torch.cos(arg)], dim=1))


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv, + dense(time embedding), GroupNorm-SiLU-dropout-conv, plus the skip
    (1x1 convolution when the width changes); the sum divided by sqrt(2) with skip_rescale."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float, skip_rescale: bool):
        super().__init__()
        self.norm0, self.conv0 = nn.GroupNorm(_groups(c_in), c_in), _conv3(c_in, c_out)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm1, self.conv1 = nn.GroupNorm(_groups(c_out), c_out), _conv3(c_out, c_out)
        self.dropout = nn.Dropout(dropout)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.scale = 1 / math.sqrt(2.0) if skip_rescale else 1.0

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv0(F.silu(self.norm0(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv1(self.dropout(F.silu(self.norm1(h))))
        return (self.skip(x) + h) * self.scale


class Attention(nn.Module):
    """Single-head self-attention over all sites of one resolution (NCSN++ AttnBlock)."""

    def __init__(self, channels: int, skip_rescale: bool):
        super().__init__()
        self.norm = nn.GroupNorm(_groups(channels), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        self.scale = 1 / math.sqrt(2.0) if skip_rescale else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).transpose(2, 3).unbind(1)
        a = F.scaled_dot_product_attention(q[:, None], k[:, None], v[:, None])[:, 0]
        return (x + self.out(a.transpose(1, 2).reshape(b, c, h, w))) * self.scale


class UNet(nn.Module):
    """U-Net on periodic lattices; see the module docstring. The defaults are a small network
    that trains on a CPU in minutes; the paper's NCSN++ is channels=128,
    channel_mult=(1, 2, 2, 2), num_res_blocks=8, attn_resolutions=(16,)."""

    def __init__(self, state_shape: tuple[int, ...], channels: int = 16, channel_mult=(1, 2, 2),
                 num_res_blocks: int = 1, attn_resolutions=(8,), embedding: str = "fourier",
                 fourier_scale: float = 16.0, dropout: float = 0.0, skip_rescale: bool = True):
        super().__init__()
        self.state_shape = tuple(int(s) for s in state_shape)
        if len(self.state_shape) != 3 or self.state_shape[1] != self.state_shape[2]:
            raise ValueError(f"UNet: state shape must be (n_channels, L, L), got {self.state_shape}")
        n_in, L = self.state_shape[0], self.state_shape[1]
        mult = [int(m) for m in channel_mult]
        if channels < 4 or channels % 2 or not mult or min(mult) < 1 or num_res_blocks < 1:
            raise ValueError("UNet: need channels >= 4 and even, channel_mult a non-empty list of "
                             f"positive integers, num_res_blocks >= 1; got {channels}, {mult}, {num_res_blocks}")
        stride = 2 ** (len(mult) - 1)
        if L % stride:
            raise ValueError(f"UNet: lattice size {L} is not divisible by 2**(len(channel_mult) - 1) = {stride}")
        if not 0 <= dropout < 1:
            raise ValueError(f"UNet: dropout must be in [0, 1), got {dropout}")
        self.translation_stride = stride
        attn = {int(r) for r in attn_resolutions}
        emb_dim = 4 * channels
        self.embed = TimeEmbedding(channels, embedding, fourier_scale)
        block = dict(emb_dim=emb_dim, dropout=dropout, skip_rescale=skip_rescale)

        self.conv_in = _conv3(n_in, channels)
        self.down = nn.ModuleList()
        widths, c, res = [channels], channels, L
        for level, m in enumerate(mult):
            for _ in range(num_res_blocks):
                self.down.append(ResBlock(c, channels * m, **block))
                c = channels * m
                if res in attn:
                    self.down.append(Attention(c, skip_rescale))
                widths.append(c)
            if level < len(mult) - 1:
                self.down.append(_conv3(c, c, stride=2))
                widths.append(c)
                res //= 2
        self.middle = nn.ModuleList([ResBlock(c, c, **block), Attention(c, skip_rescale), ResBlock(c, c, **block)])
        self.up = nn.ModuleList()
        for level, m in reversed(list(enumerate(mult))):
            for _ in range(num_res_blocks + 1):
                self.up.append(ResBlock(c + widths.pop(), channels * m, **block))
                c = channels * m
                if res in attn:
                    self.up.append(Attention(c, skip_rescale))
            if level > 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), _conv3(c, c)))
                res *= 2
        self.norm_out = nn.GroupNorm(_groups(c), c)
        self.conv_out = _conv3(c, 1)

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        emb = self.embed(t.reshape(-1).to(u.dtype))
        # channels-last: the fast layout of CPU convolutions (oneDNN), also fine on CUDA
        h = self.conv_in(u.contiguous(memory_format=torch.channels_last))
        skips = [h]
        for layer in self.down:
            if isinstance(layer, ResBlock):
                h = layer(h, emb)
                skips.append(h)
            elif isinstance(layer, Attention):
                h = skips[-1] = layer(h)
            else:  # downsampling
                h = layer(h)
                skips.append(h)
        h = self.middle[2](self.middle[1](self.middle[0](h, emb)), emb)
        for layer in self.up:
            if isinstance(layer, ResBlock):
                h = layer(torch.cat([h, skips.pop()], dim=1), emb)
            else:
                h = layer(h)
        return self.conv_out(F.silu(self.norm_out(h)))[:, 0]
