"""Settings of the two diagnostics (config section `diagnostics`), typed once here so that the
library never reads the raw section."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from activediff.diffusion.sde import LinearSDE

PARITIES = ("odd", "even")


def _from_section(cls, section: Mapping, where: str, **extra):
    names = {f.name for f in dataclasses.fields(cls)} - set(extra)
    unknown, missing = sorted(set(section) - names), sorted(names - set(section))
    if unknown or missing:
        raise ValueError(f"{where}: unknown key(s) {unknown}, missing key(s) {missing}")
    return cls(**dict(section), **extra)


@dataclass(frozen=True)
class ResponseSettings:
    """GFDT response (docs/theory.md 7.1): Langevin in the potential of p_eps and the stationary
    active OU process. score_time is the learned stage's sampling eps: the learned passive score
    is taken there, and the Langevin target is the exact passive marginal at that time."""

    score_time: float
    langevin_D: float
    langevin_dt: float
    n_chains: int
    n_steps: int
    record_every: int
    horizon: float
    n_kicks: int
    kick: float
    ou_dt: float
    ou_steps: int
    ou_horizon: float

    def __post_init__(self):
        if self.score_time <= 0:
            raise ValueError(f"diagnostics: the passive score time (learned.sampling.eps) must be > 0, "
                             f"got {self.score_time}")

    @property
    def langevin_lags(self) -> int:
        """Recorded lags of the Langevin response up to its horizon."""
        return int(round(self.horizon / (self.langevin_dt * self.record_every)))

    @property
    def ou_lags(self) -> int:
        return int(round(self.ou_horizon / self.ou_dt))

    @classmethod
    def from_config(cls, section: Mapping, score_time: float) -> "ResponseSettings":
        return _from_section(cls, section, "diagnostics.response", score_time=float(score_time))


@dataclass(frozen=True)
class EntropySettings:
    """Entropy production along the forward and the generative process (docs/theory.md 7.2)."""

    n_samples: int
    t_min: float
    n_times: int
    refine: int
    steps_per_interval: int
    max_step: float
    cld_velocity_parity: str = "odd"

    def __post_init__(self):
        if self.cld_velocity_parity not in PARITIES:
            raise ValueError(f"diagnostics.entropy.cld_velocity_parity must be one of {PARITIES}, "
                             f"got {self.cld_velocity_parity!r}")

    def parity(self, sde: LinearSDE) -> tuple[int, ...]:
        """The channels' time-reversal parity used for this process: the process's own signature
        (an odd CLD velocity), or every channel even with cld_velocity_parity = even [A]."""
        return sde.parity if self.cld_velocity_parity == "odd" else (1,) * sde.n_channels

    @classmethod
    def from_config(cls, section: Mapping) -> "EntropySettings":
        return _from_section(cls, section, "diagnostics.entropy")
