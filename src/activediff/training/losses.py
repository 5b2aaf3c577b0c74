"""Denoising (passive) and hybrid (active, CLD) score matching, written once (docs/theory.md 1, 2.5, 3).

Data x0 are perturbed with the model's regularised kernel, u_t = m_t x0 + L_t eps, and the
network learns the noise eps_s of the scored channel s, since

    grad_{u_s} log p(u_t | x0) = -ell_t eps_s       (ell_t = 1 / L_ss, score_model.py).

For passive diffusion this is DSM (target -eps / sqrt(Delta_t)); for active and CLD, where the
auxiliary channel's initial value is marginalised into the kernel covariance, it is HSM (Dockhorn
et al. 2021). A weighting lambda(t) of the score-space loss is a weight in noise space:

    lambda ||s_theta + ell eps_s||^2 = lambda ell^2 ||pred - eps_s||^2,   pred = -s_theta / ell,

    reweightedv2  lambda = 1 / ell^2       weight 1           (||alpha - eps||^2; all toy configs)
    reweightedv1  lambda = g^2 / (2 ell^2) weight g^2 / 2
    likelihood    lambda = g^2 / 2         weight ell^2 g^2 / 2

with g^2 / 2 = beta(t) D_ss / 2 the authors' `loss_multiplier` (beta T passive, beta Ta / tau^2
active, beta Gamma CLD). Each loss returns per-element weight * (pred - eps_s)^2 (EDM style);
training sums it over coordinates and averages over the batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from activediff.diffusion.linalg import apply, namespace, per_sample
from activediff.diffusion.score_model import ScoreModel
from activediff.diffusion.sde import LinearSDE

WEIGHTINGS = ("reweightedv2", "reweightedv1", "likelihood")


def loss_multiplier(sde: LinearSDE, t, channel: int):
    """g^2 / 2 = beta(t) D_ss / 2 of the scored channel (the likelihood weighting)."""
    return 0.5 * sde.beta(t) * float(sde.diffusion_matrix[channel, channel])


def noise_space_weight(sde: LinearSDE, weighting: str, t, ell, channel: int):
    """Per-sample weight of ||pred - eps_s||^2 for a weighting (see the module docstring)."""
    if weighting == "reweightedv2":
        return 1.0 + 0.0 * ell
    if weighting == "reweightedv1":
        return loss_multiplier(sde, t, channel) + 0.0 * ell
    if weighting == "likelihood":
        return loss_multiplier(sde, t, channel) * ell**2
    raise ValueError(f"unknown weighting {weighting!r}; expected one of {WEIGHTINGS}")


def sample_times(rng: np.random.Generator, n: int, loss_eps: float, t_max: float) -> np.ndarray:
    """Training times t ~ U[loss_eps, t_max], float64."""
    return loss_eps + (t_max - loss_eps) * rng.random(n)


class Batch(NamedTuple):
    """One perturbed batch: the network's inputs and what the loss compares them with."""

    u: object  # (B, n, *coords) perturbed state u_t
    t: object  # (B,)
    target: object  # (B, *coords) eps_s, the noise of the scored channel
    weight: object  # (B,) noise-space weight
    mix: object  # (B,) mixed-score factor (0 without the mixed score)

    def to(self, device, dtype=torch.float32) -> "Batch":
        return Batch(*(torch.as_tensor(a).to(device=device, dtype=dtype) for a in self))


class ScoreMatchingLoss:
    """loss(model, x0, t, noise) -> per-element weight * (pred - eps_s)^2, shape (B, *coords).

    x0 (B, *coords), t (B,) and noise (B, n_channels, *coords) are given explicitly (no hidden
    RNG): the trainer draws them from per-iteration seeds. `batch` (float64, numpy or torch) and
    `per_element` (on the model's device) are the two halves, so the data side can be prepared on
    the host, vectorised over many iterations.
    """

    def __init__(self, weighting: str = "reweightedv2", loss_eps: float = 1e-5):
        if weighting not in WEIGHTINGS:
            raise ValueError(f"unknown weighting {weighting!r}; expected one of {WEIGHTINGS}")
        if not 0 < loss_eps < 1:
            raise ValueError(f"loss_eps must be in (0, 1), got {loss_eps}")
        self.weighting, self.loss_eps = weighting, float(loss_eps)

    def batch(self, model: ScoreModel, x0, t, noise) -> Batch:
        """Perturb x0 with the model's kernel at times t; all float64 (numpy, or torch like x0)."""
        xp = namespace(x0)
        if xp is torch:
            x0, t, noise = (a.to(torch.float64) for a in (x0, t, noise))
        else:
            x0, t, noise = (np.asarray(a, dtype=np.float64) for a in (x0, t, noise))
        kernel = model.kernel(t)
        ell, mix = model.scales(t, kernel.chol)
        coeff = kernel.mean_coeff.reshape(kernel.mean_coeff.shape + (1,) * (x0.ndim - 1))
        u = coeff * x0[:, None] + apply(kernel.chol, noise)
        weight = noise_space_weight(model.sde, self.weighting, t, ell, model.channel)
        return Batch(u, t, noise[:, model.channel], weight, mix)

    def per_element(self, model: ScoreModel, batch: Batch) -> torch.Tensor:
        pred = model.noise_prediction(batch.u, batch.t, batch.mix)
        return per_sample(batch.weight, pred) * (pred - batch.target) ** 2

    def __call__(self, model: ScoreModel, x0, t, noise) -> torch.Tensor:
        device = next(model.parameters()).device
        return self.per_element(model, self.batch(model, x0, t, noise).to(device))


def batch_loss(per_element: torch.Tensor) -> torch.Tensor:
    """Sum over coordinates, mean over the batch (the authors' reduction)."""
    return per_element.flatten(1).sum(1).mean()
