"""Verdict tests (evaluation/verdicts.py) against scipy's own t tests on the replicates, and the
three outcomes of each test."""

import math

import numpy as np
import pytest
from scipy import stats

from activediff.evaluation import verdicts as vd


def test_superiority_p_value_is_scipys_one_sided_t_test():
    x = np.array([0.3, 0.5, 0.1, 0.4, 0.6])
    res = vd.superiority(vd.from_replicates(x))
    assert math.isclose(res["p_value"], stats.ttest_1samp(x, 0.0, alternative="greater").pvalue, rel_tol=1e-10)
    assert res["verdict"] == "reproduced"
    assert vd.superiority(vd.from_replicates(-x))["verdict"] == "contradicted"
    assert vd.superiority(vd.from_replicates(x - x.mean()))["verdict"] == "inconclusive"


def test_equivalence_is_two_one_sided_tests():
    x = np.array([0.02, -0.03, 0.01, 0.0, 0.03, -0.01])
    est = vd.from_replicates(x)
    res = vd.equivalence(est, margin=0.1)
    p_low = stats.ttest_1samp(x, -0.1, alternative="greater").pvalue
    p_high = stats.ttest_1samp(x, 0.1, alternative="less").pvalue
    assert math.isclose(res["p_value"], max(p_low, p_high), rel_tol=1e-10) and res["verdict"] == "reproduced"
    assert vd.equivalence(est.shifted(1.0), margin=0.1)["verdict"] == "contradicted"  # clearly outside
    assert vd.equivalence(vd.Estimate(0.0, 1.0, 4), margin=0.1)["verdict"] == "inconclusive"  # too noisy
    with pytest.raises(ValueError, match="margin > 0"):
        vd.equivalence(est, margin=0.0)


def test_degrees_of_freedom_decide_significance():
    # z = 2.7 with 1 dof (two Ising seeds) is p ~ 0.11: not significant; with 20 dof it is
    assert vd.superiority(vd.Estimate(2.7, 1.0, 1))["verdict"] == "inconclusive"
    assert vd.superiority(vd.Estimate(2.7, 1.0, 20))["verdict"] == "reproduced"


def test_welch_satterthwaite_difference():
    a, b = vd.Estimate(3.0, 0.3, 4), vd.Estimate(1.0, 0.4, 4)
    d = a.minus(b)
    assert d.value == 2.0 and math.isclose(d.stderr, 0.5)
    assert math.isclose(d.dof, 0.25**2 / (0.09**2 / 4 + 0.16**2 / 4))


def test_parts_combine_and_non_finite_estimates_are_refused():
    assert vd.all_of(["reproduced", "reproduced"]) == "reproduced"
    assert vd.all_of(["reproduced", "inconclusive"]) == "inconclusive"
    assert vd.all_of(["reproduced", "contradicted"]) == "contradicted"
    with pytest.raises(FloatingPointError):
        vd.Estimate(float("nan"), 1.0, 3)
