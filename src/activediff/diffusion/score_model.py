"""The score parameterisation: one small, named place where a network's output becomes a score.

Like EDM's preconditioning wrapper, `ScoreModel` holds everything between the raw network and the
score the samplers use (docs/theory.md 1, 2.5, 3). Only one channel carries noise in every process we
train (passive: x; active with Tp = 0: eta; CLD: v), so only that channel's score is learned:

    s_theta(u, t) = -ell_t * [ net(u, t) + mix_t * u_s ],      s = scored channel,

    ell_t = 1 / L_ss   with L = chol(Sigma_t),   i.e. 1/sqrt(Delta_t) (passive) and
            sqrt(S11 / (S11 S22 - S12^2)) (active, CLD): grad_{u_s} log p(u_t | x0) = -ell_t eps_s;
    mix_t = 1 / (V_t ell_t) with the mixed score on (s = -u_s/V_t - ell_t net), 0 otherwise.

So `net` predicts the noise eps_s (the "alpha" of the authors' code): this is what the losses
compare, and it is O(1) at every t. Sigma_t is the kernel covariance given x0 with the auxiliary
channel drawn from the SDE's initial law, plus `numerical_eps` (the authors' regulariser), and the
same regularised kernel perturbs the data in training (`kernel`), so target and model always agree.

All kernel quantities are computed in float64 (numpy for numpy t, torch for tensor t): with
eta0 = 0 the covariance is nearly singular at small t.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from activediff.diffusion.linalg import as_array, cholesky, per_sample
from activediff.diffusion.sde import LinearSDE


class Kernel(NamedTuple):
    """Regularised perturbation kernel at times t: u_t = mean_coeff * x0 + chol @ eps."""

    mean_coeff: object  # (..., n)
    chol: object  # (..., n, n)


class Scales(NamedTuple):
    """Per-time factors of the parameterisation (float64, shape of t)."""

    ell: object  # 1 / L_ss
    mix: object  # 1 / (V_t ell_t) with the mixed score, else 0


def scored_channel(sde: LinearSDE) -> int:
    """The one channel whose score is learned; refuses processes with noise in several channels."""
    channels = sde.scored_channels
    if len(channels) != 1:
        raise ValueError(f"{sde!r}: noise acts on channels {channels}; training supports one scored "
                         "channel (active diffusion needs Tp = 0, as in the paper)")
    return channels[0]


def _numerical_eps_pattern(sde: LinearSDE) -> np.ndarray:
    """Where the authors' code adds numerical_eps (the process says: M11, M12 and M22 for the
    active process, the diagonal for CLD and the passive process)."""
    n = sde.n_channels
    return np.ones((n, n)) if sde.numerical_eps_entries == "block" else np.eye(n)


def regularised_cov(sde: LinearSDE, t, numerical_eps: float = 0.0):
    """Kernel covariance given x0 (auxiliary channel from its initial law) + numerical_eps."""
    cov = sde.cov(t)
    if numerical_eps:
        cov = cov + numerical_eps * as_array(_numerical_eps_pattern(sde), cov)
    return cov


def mixed_variance(sde: LinearSDE, t):
    """V_t of the mixed score -u_s/V_t (as the authors' code): the stationary variance T/k
    (passive) and Ta/tau (active, either eta0 convention); for CLD the HSM kernel's S_vv(t)."""
    s = scored_channel(sde)
    if sde.mixed_score_variance == "kernel":
        return sde.cov(t)[..., s, s]
    t = as_array(t)
    return sde.stationary_cov()[s, s] + 0.0 * t


class ScoreModel(nn.Module):
    """Score s_theta(u, t) of u's shape from a network net(u, t) -> (batch, *coords).

    Usable directly as the samplers' `score_fn(u, t)`: t is a python float or a (batch,) tensor,
    u is (batch, n_channels, *coords) in any float dtype; the score has u's shape and dtype, with
    zeros in the channels that carry no noise (their score never enters the reverse dynamics).
    """

    def __init__(self, net: nn.Module, sde: LinearSDE, mixed_score: bool = False, numerical_eps: float = 0.0):
        super().__init__()
        self.net = net
        self.sde = sde
        self.channel = scored_channel(sde)
        self.mixed_score = bool(mixed_score)
        self.numerical_eps = float(numerical_eps)
        self._scalar_cache: dict[float, Scales] = {}

    # -- kernel and per-time factors (float64) ------------------------------------------------
    def kernel(self, t) -> Kernel:
        """Mean coefficients and Cholesky factor of the regularised kernel at times t."""
        return Kernel(self.sde.mean_coeff(t), cholesky(regularised_cov(self.sde, t, self.numerical_eps)))

    def scales(self, t, chol=None) -> Scales:
        """(ell_t, mix_t) at times t (numpy or torch float64, t's shape); chol if already known."""
        if chol is None:
            chol = self.kernel(t).chol
        ell = 1.0 / chol[..., self.channel, self.channel]
        if self.mixed_score:
            mix = 1.0 / (mixed_variance(self.sde, t) * ell)
        else:
            mix = 0.0 * ell
        return Scales(ell, mix)

    def _scales_like(self, t, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scales as (batch,) float64 tensors on u's device; python-float times are cached, since
        samplers revisit the same time grid."""
        if isinstance(t, torch.Tensor) and t.ndim > 0:
            ell, mix = self.scales(t.to(torch.float64))
        else:
            key = float(t)
            if key not in self._scalar_cache:
                if len(self._scalar_cache) >= 65536:  # adaptive solvers visit many distinct times
                    self._scalar_cache.clear()
                ell, mix = self.scales(np.float64(key))
                self._scalar_cache[key] = Scales(float(ell), float(mix))
            ell, mix = self._scalar_cache[key]
            ell, mix = (torch.full((u.shape[0],), v, dtype=torch.float64, device=u.device) for v in (ell, mix))
        return ell.to(u.device), mix.to(u.device)

    # -- network side -------------------------------------------------------------------------
    def noise_prediction(self, u: torch.Tensor, t: torch.Tensor, mix: torch.Tensor) -> torch.Tensor:
        """net(u, t) + mix_t u_s: the prediction of eps_s that the losses compare (batch, *coords).
        Computed in the network's dtype; u, t, mix are (batch, ...) tensors."""
        dtype = next(self.net.parameters()).dtype
        u = u.to(dtype)
        out = self.net(u, t.to(dtype))
        if not self.mixed_score:  # mix_t = 0: adding 0 * u_s changes no bit, but costs a step
            return out
        return out + per_sample(mix.to(dtype), out) * u[:, self.channel]

    def forward(self, u: torch.Tensor, t) -> torch.Tensor:
        ell, mix = self._scales_like(t, u)
        t_batch = torch.as_tensor(t, dtype=torch.float64, device=u.device).expand(u.shape[0])
        pred = self.noise_prediction(u, t_batch, mix).to(u.dtype)
        score = torch.zeros_like(u)
        score[:, self.channel] = -per_sample(ell.to(u.dtype), pred) * pred
        return score
