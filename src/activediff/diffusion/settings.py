"""How a stage samples: one typed settings object shared by every sampling stage.

The toy (exact and learned score), alanine and Ising stages each have a config section
`sampling` of this shape; the library never reads the raw section. The samplers themselves stay
pure functions with explicit arguments (samplers.py, ode_sampler.py, splitting.py); this object
only carries the values from config to those calls.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class SamplingSettings:
    """Settings of the reverse-time samplers (code time; physical time is beta * t).

    eps: the forward time at which reverse integration stops (the authors' sampling_eps).
    denoise: a final drift-only step from eps to 0 returning the mean (the Ising protocol).
    rtol, atol: tolerances of the adaptive probability-flow ODE (ignored by fixed-step samplers).
    batch_size: samples integrated at once; results do not depend on it (per-sample seeds).
    """

    eps: float = 1e-3
    denoise: bool = False
    rtol: float = 1e-5
    atol: float = 1e-5
    batch_size: int = 2048

    def __post_init__(self):
        if not (self.eps >= 0 and self.rtol > 0 and self.atol > 0):
            raise ValueError(f"sampling: need eps >= 0, rtol > 0, atol > 0; got {self}")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"sampling.batch_size must be a positive integer, got {self.batch_size!r}")

    @classmethod
    def from_config(cls, section: Mapping, where: str = "sampling") -> "SamplingSettings":
        """From a config `sampling` section; an unknown key is an error naming `where`."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - names)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(names)}")
        return cls(**dict(section))
