"""The toy MLP and the network registry; ScoreModel as a sampler's score_fn."""

import numpy as np
import pytest
import torch

from activediff.diffusion.samplers import euler_maruyama, time_grid
from activediff.diffusion.score_model import ScoreModel
from activediff.diffusion.sde import make_sde
from activediff.training.nets import MLP, NETS, build_net


@pytest.mark.parametrize("state_shape", [(1, 1), (2, 2), (2, 3)])
def test_mlp_shapes_and_size(state_shape):
    """4 hidden layers of 128 SiLU units on (n d + 1) inputs, d outputs (docs/theory.md 2.6)."""
    net = build_net("mlp", state_shape)
    n, d = state_shape
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(n * d + 1, 128)] + [(128, 128)] * 3 + [(128, d)]
    assert sum(isinstance(m, torch.nn.SiLU) for m in net.modules()) == 4
    out = net(torch.randn(7, n, d), torch.rand(7))
    assert out.shape == (7, d)


def test_mlp_uses_time():
    torch.manual_seed(0)
    net = MLP((2, 2))
    u = torch.randn(4, 2, 2)
    assert not torch.allclose(net(u, torch.zeros(4)), net(u, torch.ones(4)))


def test_registry_errors_name_the_problem():
    assert "mlp" in NETS
    with pytest.raises(ValueError, match="unknown network 'transformer'"):
        build_net("transformer", (2, 8, 8))
    with pytest.raises(ValueError, match="bad parameters"):
        build_net("mlp", (2, 2), channels=3)


@pytest.mark.parametrize("name", ["passive", "active", "cld"])
def test_score_model_drives_the_euler_maruyama_sampler(name):
    """ScoreModel is a score_fn: float t, float64 state in, float64 score of the same shape out."""
    sde = make_sde(name)
    torch.manual_seed(0)
    model = ScoreModel(MLP((sde.n_channels, 2)), sde, mixed_score=True, numerical_eps=1e-6).requires_grad_(False)
    g = torch.Generator().manual_seed(1)
    n_steps = 20
    u0 = sde.prior_sample(torch.randn(16, sde.n_channels, 2, generator=g, dtype=torch.float64))
    noise = torch.randn(n_steps, 16, sde.n_channels, 2, generator=g, dtype=torch.float64)
    out = euler_maruyama(sde, model, u0, noise, time_grid(sde.t_max, 1e-3, n_steps))
    assert out.shape == u0.shape and out.dtype == torch.float64
    assert torch.isfinite(out).all()
    score = model(u0, 0.5)
    unscored = [c for c in range(sde.n_channels) if c not in sde.scored_channels]
    assert torch.all(score[:, unscored] == 0) and score[:, model.channel].abs().max() > 0
    assert np.isfinite(model(u0, torch.full((16,), 1e-5, dtype=torch.float64)).numpy()).all()
