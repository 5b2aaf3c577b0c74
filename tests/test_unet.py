"""The periodic U-Net: shapes, exact translation equivariance on the torus, time dependence,
registration and checkpoint round trip."""

import pytest
import torch
import torch.nn.functional as F

from activediff.training.nets import NETS, build_net
from activediff.training.unet import UNet, periodic_pad

SMALL = dict(channels=8, channel_mult=(1, 2, 2), num_res_blocks=1, attn_resolutions=(4,))


def _net(n_channels=2, L=16, **params):
    torch.manual_seed(0)
    return UNet((n_channels, L, L), **{**SMALL, **params}).double().eval()


@pytest.mark.parametrize("n_channels", [1, 2])
def test_output_shape_and_registry(n_channels):
    assert NETS["unet"] is UNet
    net = build_net("unet", (n_channels, 16, 16), **SMALL)
    out = net(torch.randn(3, n_channels, 16, 16), torch.rand(3))
    assert out.shape == (3, 16, 16) and torch.isfinite(out).all()


def test_periodic_pad_matches_circular_padding_and_its_gradient():
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    ref = F.pad(x, (1, 1, 1, 1), mode="circular")
    assert torch.equal(periodic_pad(x), ref)
    w = torch.randn_like(ref)
    (g1,) = torch.autograd.grad((periodic_pad(x) * w).sum(), x)
    (g2,) = torch.autograd.grad((ref * w).sum(), x)
    assert torch.allclose(g1, g2)


@pytest.mark.parametrize("shift", [(4, 0), (0, 8), (12, 4), (-4, 8)])
def test_rolling_the_input_rolls_the_output(shift):
    """Translations by multiples of the coarsest stride (here 2**2 = 4) commute with the network,
    including across the lattice boundary: no zero padding anywhere."""
    net = _net()
    assert net.translation_stride == 4
    u, t = torch.randn(2, 2, 16, 16, dtype=torch.float64), torch.rand(2, dtype=torch.float64)
    with torch.no_grad():
        rolled = net(torch.roll(u, shift, dims=(2, 3)), t)
        expected = torch.roll(net(u, t), shift, dims=(1, 2))
    assert torch.allclose(rolled, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("embedding", ["fourier", "positional"])
def test_output_depends_on_time(embedding):
    net = _net(embedding=embedding)
    u = torch.randn(2, 2, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        a = net(u, torch.full((2,), 0.1, dtype=torch.float64))
        b = net(u, torch.full((2,), 0.6, dtype=torch.float64))
    assert (a - b).abs().max() > 1e-3 * a.abs().max()


def test_paper_sized_network_builds():
    """NCSN++ of the CLD CIFAR-10 config adapted to lattices (docs/theory.md 2.6)."""
    net = UNet((2, 32, 32), channels=128, channel_mult=(1, 2, 2, 2), num_res_blocks=8, attn_resolutions=(16,))
    n_params = sum(p.numel() for p in net.parameters())
    assert 50e6 < n_params < 200e6
    assert net.translation_stride == 8


def test_bad_sizes_name_the_problem():
    with pytest.raises(ValueError, match="not divisible by 2"):
        UNet((2, 12, 12), channel_mult=(1, 2, 2, 2))
    with pytest.raises(ValueError, match=r"\(n_channels, L, L\)"):
        UNet((2, 8, 16))
    with pytest.raises(ValueError, match="embedding must be one of"):
        UNet((2, 8, 8), embedding="learned")
    with pytest.raises(ValueError, match="bad parameters"):
        build_net("unet", (2, 8, 8), width=3)
