"""Verdicts that can fail: each claim tested as the paper states it, with its degrees of freedom.

An estimate is a value with a standard error and the degrees of freedom of that error (replicates
- 1: sampling chunks for exact scores, training seeds for learned ones). Three tests:

- superiority ("A better than B"): one-sided t tests of value > 0. reproduced when value > 0 at
  level alpha, contradicted when value < 0 at level alpha, inconclusive otherwise.
- equivalence ("comparable", "reproduces the target"): two one-sided tests (TOST) against a
  stated margin m. reproduced when -m < value < m is established (both one-sided tests reject at
  alpha), contradicted when |value| > m at level alpha, inconclusive otherwise.
- derived: a closed-form identity (a sign that follows from formulas, no sampling error). Its row
  says so (kind "derived"); the sign still decides reproduced / contradicted, but it is not
  evidence about sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

VERDICTS = ("reproduced", "contradicted", "inconclusive", "not measured here")
ALPHA = 0.05


@dataclass(frozen=True)
class Estimate:
    value: float
    stderr: float
    dof: float  # of the standard error; inf for a closed form

    def __post_init__(self):
        if not np.isfinite(self.value):
            raise FloatingPointError(f"an estimate must be finite, got {self.value}")

    def minus(self, other: "Estimate") -> "Estimate":
        """Difference of two independent estimates; Welch-Satterthwaite degrees of freedom. For
        estimates sharing data (positively correlated) the error is conservative."""
        var_a, var_b = self.stderr**2, other.stderr**2
        var = var_a + var_b
        if var == 0:
            dof = math.inf
        else:
            den = (var_a**2 / self.dof if var_a else 0.0) + (var_b**2 / other.dof if var_b else 0.0)
            dof = var**2 / den if den else math.inf
        return Estimate(self.value - other.value, math.sqrt(var), dof)

    def shifted(self, offset: float) -> "Estimate":
        return Estimate(self.value + offset, self.stderr, self.dof)


def from_replicates(values) -> Estimate:
    """Mean of independent replicates, its standard error and n - 1 degrees of freedom."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        raise ValueError(f"an error bar needs >= 2 replicates, got {len(values)}")
    return Estimate(float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values))), len(values) - 1)


def _p_greater(est: Estimate, threshold: float = 0.0) -> float:
    """One-sided p-value of H0: value <= threshold."""
    if est.stderr == 0:
        return 0.0 if est.value > threshold else 1.0
    return float(stats.t.sf((est.value - threshold) / est.stderr, est.dof))


def superiority(est: Estimate, alpha: float = ALPHA) -> dict:
    """value > 0 claimed. Returns the verdict, the t statistic and the one-sided p of the claim."""
    p_claim, p_opposite = _p_greater(est), _p_greater(Estimate(-est.value, est.stderr, est.dof))
    verdict = ("reproduced" if p_claim < alpha else "contradicted" if p_opposite < alpha else "inconclusive")
    t = est.value / est.stderr if est.stderr > 0 else math.copysign(math.inf, est.value) if est.value else 0.0
    return dict(test="superiority (one-sided t)", margin=0.0, statistic=float(t), p_value=p_claim, verdict=verdict)


def difference(est: Estimate, alpha: float = ALPHA) -> dict:
    """value != 0 claimed (direction not stated): two-sided t test. reproduced when significant at
    alpha, inconclusive otherwise (a two-sided claim of a difference is never contradicted by a
    single test; its equivalence counterpart is `equivalence`)."""
    p = 2 * min(_p_greater(est), _p_greater(Estimate(-est.value, est.stderr, est.dof)))
    t = est.value / est.stderr if est.stderr > 0 else 0.0
    return dict(test="difference (two-sided t)", margin=0.0, statistic=float(t), p_value=float(min(p, 1.0)),
                verdict="reproduced" if p < alpha else "inconclusive")


def equivalence(est: Estimate, margin: float, alpha: float = ALPHA) -> dict:
    """|value| < margin claimed (TOST). p_value is the larger of the two one-sided p-values."""
    if not margin > 0:
        raise ValueError(f"an equivalence test needs a margin > 0, got {margin}")
    p_lower = _p_greater(est, -margin)  # H0: value <= -margin
    p_upper = _p_greater(Estimate(-est.value, est.stderr, est.dof), -margin)  # H0: value >= margin
    outside = min(_p_greater(est, margin), _p_greater(Estimate(-est.value, est.stderr, est.dof), margin))
    p = max(p_lower, p_upper)
    verdict = "reproduced" if p < alpha else "contradicted" if outside < alpha else "inconclusive"
    t = (abs(est.value) - margin) / est.stderr if est.stderr > 0 else 0.0
    return dict(test=f"equivalence (TOST, margin {margin:g})", margin=float(margin), statistic=float(t),
                p_value=float(p), verdict=verdict)


def derived(value: float) -> dict:
    """A sign that follows from closed forms: no sampling error, no degrees of freedom."""
    return dict(test="closed form (sign)", margin=0.0, statistic=float("nan"), p_value=float("nan"),
                verdict="reproduced" if value > 0 else "contradicted")


def all_of(verdicts) -> str:
    """A claim made of parts: contradicted if any part is, reproduced if all are."""
    verdicts = list(verdicts)
    if "contradicted" in verdicts:
        return "contradicted"
    if verdicts and all(v == "reproduced" for v in verdicts):
        return "reproduced"
    return "inconclusive"
