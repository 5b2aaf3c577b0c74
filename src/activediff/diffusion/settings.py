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

from activediff.diffusion.ode_sampler import STEP_CONTROLS
from activediff.diffusion.samplers import GRIDS


@dataclass(frozen=True)
class SamplingSettings:
    """Settings of the reverse-time samplers (code time; physical time is beta * t).

    grid: the fixed-step time grid, one of samplers.GRIDS: authors_analytic (score at n dt down to
      dt, last step to 0, no eps, no denoising) or authors_nn (t_max down to eps).
    eps: the forward time at which reverse integration stops (the authors' sampling_eps).
    denoise: a final drift-only step from eps to 0 returning the mean (the Ising protocol).
    rtol, atol: tolerances of the adaptive probability-flow ODE (ignored by fixed-step samplers).
    batch_size: samples integrated at once; results do not depend on it (per-sample seeds), except
      with step_control "shared".
    step_control: the ODE's step-size control, one of ode_sampler.STEP_CONTROLS: per_sample (each
      sample its own steps) or shared (the authors' solver: one step for the batch).
    """

    grid: str = "authors_nn"
    eps: float = 1e-3
    denoise: bool = False
    rtol: float = 1e-5
    atol: float = 1e-5
    batch_size: int = 2048
    step_control: str = "per_sample"

    @property
    def label(self) -> str:
        """Short text of the convention for tables and figure titles."""
        return (f"{self.grid}" + (f", eps {self.eps:g}" if self.grid != "authors_analytic" else "")
                + (", denoised" if self.denoise else "")
                + (", shared ODE steps" if self.step_control == "shared" else ""))

    def __post_init__(self):
        if not (self.eps >= 0 and self.rtol > 0 and self.atol > 0):
            raise ValueError(f"sampling: need eps >= 0, rtol > 0, atol > 0; got {self}")
        if self.grid not in GRIDS:
            raise ValueError(f"sampling.grid must be one of {GRIDS}, got {self.grid!r}")
        if self.grid == "authors_analytic" and (self.eps != 0 or self.denoise):
            raise ValueError(f"sampling: grid authors_analytic has no eps and no final denoising; set eps: 0 "
                             f"and denoise: false (got eps={self.eps}, denoise={self.denoise})")
        if self.step_control not in STEP_CONTROLS:
            raise ValueError(f"sampling.step_control must be one of {STEP_CONTROLS}, got {self.step_control!r}")
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
