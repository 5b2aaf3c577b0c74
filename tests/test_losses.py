"""Score-matching targets and weightings against independent routes: autograd of the Gaussian
kernel density, least squares against the exact Gaussian score, and the score-space definitions
of the weightings (docs/theory.md 1, 2.5, 3)."""

import math

import numpy as np
import pytest
import torch

from activediff.diffusion.score_model import ScoreModel
from activediff.diffusion.scores import GaussianMixture
from activediff.diffusion.scores import score as exact_score
from activediff.diffusion.sde import make_sde
from activediff.training.losses import ScoreMatchingLoss, loss_multiplier, sample_times
from activediff.training.nets import MLP

PROCESSES = {
    "passive": ("passive", dict(k=1.0, T=1.0)),
    "active": ("active", dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="stationary")),
    "active_zero": ("active", dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="zero")),
    "active_k2": ("active", dict(k=2.0, tau=0.4, Tp=0.0, Ta=0.7, eta0="stationary")),
    "cld": ("cld", dict(m_inv=4.0, gamma=0.04)),
}
# g^2 = beta * D_ss of the scored channel, written from the SDEs' parameters (beta = 4).
G2 = {"passive": 4 * 2 * 1.0, "active": 4 * 2 * 1.0 / 0.25**2, "active_zero": 4 * 2 * 1.0 / 0.25**2,
      "active_k2": 4 * 2 * 0.7 / 0.4**2, "cld": 4 * 2 * (2 * math.sqrt(0.25))}


def build(key):
    name, params = PROCESSES[key]
    return make_sde(name, beta=4.0, **params)


class ZeroNet(torch.nn.Module):
    """A network that predicts zero noise (the score is then the mixed term alone)."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, u, t):
        return 0.0 * self.dummy + torch.zeros_like(u[:, 0])


def gaussian_batch(sde, n=64, d=2, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(n, d, generator=g, dtype=dtype)
    t = torch.rand(n, generator=g, dtype=dtype) * 0.999 + 1e-3
    noise = torch.randn(n, sde.n_channels, d, generator=g, dtype=dtype)
    return x0, t, noise


@pytest.mark.parametrize("numerical_eps", [0.0, 1e-6])
@pytest.mark.parametrize("key", list(PROCESSES))
def test_target_is_the_conditional_score_by_autograd(key, numerical_eps):
    """-ell eps_s equals grad_{u_s} log N(u_t; m_t x0, Sigma_t) taken by autograd, where Sigma_t
    is the kernel covariance given x0 (+ numerical_eps as the authors add it)."""
    sde = build(key)
    model = ScoreModel(ZeroNet(), sde, numerical_eps=numerical_eps)
    x0, t, noise = gaussian_batch(sde)
    batch = ScoreMatchingLoss().batch(model, x0, t, noise)
    ell, _ = model.scales(t)

    cov = sde.cov(t)
    pattern = torch.ones(2, 2) if key.startswith("active") else torch.eye(sde.n_channels)
    cov = cov + numerical_eps * pattern.to(cov)
    mean = sde.mean_coeff(t)[:, :, None] * x0[:, None, :]  # (n, channels, d)
    u = batch.u.clone().requires_grad_(True)
    dist = torch.distributions.MultivariateNormal(mean.transpose(1, 2), covariance_matrix=cov[:, None])
    dist.log_prob(u.transpose(1, 2)).sum().backward()
    s = model.channel
    expected = u.grad[:, s]
    torch.testing.assert_close(-ell[:, None] * batch.target, expected, rtol=1e-8, atol=1e-8 * float(expected.abs().max()))
    # and the perturbed state really has the kernel's law: u = mean + chol(Sigma) eps
    torch.testing.assert_close(batch.u, mean + torch.einsum("nij,njd->nid", torch.linalg.cholesky(cov), noise))


@pytest.mark.parametrize("key", ["passive", "active", "active_zero", "cld"])
def test_loss_minimiser_is_the_exact_score_for_gaussian_data(key):
    """For x0 ~ N(mu, sigma^2) the regression of the target on the state is the exact (linear)
    score of p_t: least squares over many draws recovers it (MC error ~ 1/sqrt(N))."""
    sde = build(key)
    model = ScoreModel(ZeroNet(), sde)
    mu, sigma, t, n = 0.7, 0.3, 0.15, 400_000
    rng = np.random.default_rng(5)
    x0 = mu + sigma * rng.standard_normal((n, 1))
    noise = rng.standard_normal((n, sde.n_channels, 1))
    batch = ScoreMatchingLoss().batch(model, x0, np.full(n, t), noise)
    ell, _ = model.scales(np.full(n, t))
    target = -ell * batch.target[:, 0]  # the conditional score -ell eps_s
    features = np.concatenate([batch.u[:, :, 0], np.ones((n, 1))], axis=1)
    coef, *_ = np.linalg.lstsq(features, target, rcond=None)

    # The exact score of p_t is affine in u: read it off at 0 and at the unit vectors.
    mix = GaussianMixture(np.ones(1), np.array([[mu]]), np.array([[[sigma**2]]]))
    probes = torch.cat([torch.zeros(1, sde.n_channels), torch.eye(sde.n_channels)]).double()[:, :, None]
    exact = exact_score(mix, sde, probes, t)[:, model.channel, 0].numpy()
    exact_coef = np.concatenate([exact[1:] - exact[0], exact[:1]])
    scale = np.abs(exact_coef).max()
    np.testing.assert_allclose(coef, exact_coef, atol=0.01 * scale)


@pytest.mark.parametrize("mixed", [False, True])
@pytest.mark.parametrize("weighting", ["reweightedv2", "reweightedv1", "likelihood"])
@pytest.mark.parametrize("key", ["passive", "active", "active_zero", "cld"])
def test_weightings_equal_their_score_space_definitions(key, weighting, mixed):
    """Noise-space loss == lambda(t) ||s_theta + ell eps_s||^2 with s_theta from ScoreModel.forward
    and lambda = 1/ell^2, g^2/(2 ell^2), g^2/2."""
    sde = build(key)
    torch.manual_seed(0)
    model = ScoreModel(MLP((sde.n_channels, 2), width=16, depth=2).double(), sde, mixed_score=mixed,
                       numerical_eps=1e-6)
    x0, t, noise = gaussian_batch(sde, n=32)
    loss = ScoreMatchingLoss(weighting)
    batch = loss.batch(model, x0, t, noise)
    per_element = loss.per_element(model, batch)

    ell, _ = model.scales(t)
    s_theta = model(batch.u, t)[:, model.channel]
    g2 = G2[key]
    lam = {"reweightedv2": 1 / ell**2, "reweightedv1": g2 / (2 * ell**2), "likelihood": g2 / 2 + 0 * ell}[weighting]
    expected = lam[:, None] * (s_theta + ell[:, None] * batch.target) ** 2
    torch.testing.assert_close(per_element, expected, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(loss_multiplier(sde, t, model.channel), torch.full_like(t, g2 / 2))


@pytest.mark.parametrize("key", ["passive", "active", "active_zero", "cld"])
def test_mixed_score_of_a_zero_network(key):
    """With net = 0 the mixed score is -u_s / V: V = T/k (passive), Ta/tau (active, either eta0),
    S_vv(t) of the HSM kernel (CLD); unscored channels get zero."""
    sde = build(key)
    model = ScoreModel(ZeroNet(), sde, mixed_score=True)
    u = torch.randn(8, sde.n_channels, 3, dtype=torch.float64)
    for t in (0.01, 0.4):
        score = model(u, t)
        s = model.channel
        if key == "passive":
            V = 1.0
        elif key == "cld":
            V = float(sde.cov(np.float64(t))[1, 1])
        else:
            V = 1.0 / 0.25
        torch.testing.assert_close(score[:, s], -u[:, s] / V)
        assert torch.all(score[:, [c for c in range(sde.n_channels) if c != s]] == 0)
    assert torch.all(ScoreModel(ZeroNet(), sde, mixed_score=False)(u, 0.3) == 0)


def test_float_and_tensor_times_give_the_same_score():
    sde = build("active_zero")
    torch.manual_seed(1)
    model = ScoreModel(MLP((2, 2)), sde, mixed_score=True, numerical_eps=1e-6)
    u = torch.randn(5, 2, 2, dtype=torch.float64)
    a = model(u, 0.25)
    b = model(u, torch.full((5,), 0.25, dtype=torch.float64))
    torch.testing.assert_close(a, b)
    assert a.dtype == torch.float64 and a.shape == u.shape


def test_numpy_and_torch_batches_agree():
    sde = build("active_zero")
    model = ScoreModel(ZeroNet(), sde, numerical_eps=1e-6)
    x0, t, noise = gaussian_batch(sde)
    loss = ScoreMatchingLoss("likelihood")
    a = loss.batch(model, x0, t, noise)
    b = loss.batch(model, x0.numpy(), t.numpy(), noise.numpy())
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.numpy(), y, rtol=1e-12, atol=1e-14)


def test_training_times_lie_in_the_interval():
    t = sample_times(np.random.default_rng(0), 100_000, 1e-5, 1.0)
    assert t.min() >= 1e-5 and t.max() <= 1.0
    assert abs(t.mean() - 0.5) < 0.005


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="weighting"):
        ScoreMatchingLoss("sigma2")
    with pytest.raises(ValueError, match="scored channel"):
        ScoreModel(ZeroNet(), make_sde("active", Tp=0.5))
