"""Swiss-roll measurables and their claims: data against itself, blurred and collapsed samples."""

import numpy as np
import pandas as pd

from activediff.evaluation import claims
from activediff.toy.data import sample
from activediff.toy.swissroll import roll_centres, roll_measures

ROLLS = dict(offset=0.8, noise=0.2, scale=0.01)


def test_data_against_itself_resolves_and_blur_does_not():
    data, other = sample("multimodal_swissroll", 2560, 1, **ROLLS), sample("multimodal_swissroll", 2560, 2, **ROLLS)
    same = roll_measures(data, other, "multimodal_swissroll", **ROLLS)
    assert same["occupancy_tv"] < 0.05 and abs(same["spiral_ratio"] - 1) < 0.1
    blurred = roll_measures(data, other + np.random.default_rng(0).normal(size=other.shape) * 0.02,
                            "multimodal_swissroll", **ROLLS)
    assert blurred["spiral_ratio"] > 5 and blurred["occupancy_tv"] < 0.05  # positions right, arms gone


def test_collapsed_and_diverged_samples_miss_the_rolls():
    data = sample("multimodal_swissroll", 2000, 1, **ROLLS)
    one_roll = np.tile(roll_centres("multimodal_swissroll", **ROLLS)[1], (2000, 1))  # everything on one roll
    assert roll_measures(data, one_roll, "multimodal_swissroll", **ROLLS)["occupancy_tv"] > 0.7
    diverged = data.copy()
    diverged[:1200] = np.nan
    out = roll_measures(data, diverged, "multimodal_swissroll", **ROLLS)
    assert out["n_nonfinite"] == 1200 and out["spiral_ratio"] > 1e3 and out["occupancy_tv"] > 0.5


def summary_rows(passive_ratio, active_ratio, se=0.1):
    rows = []
    for sde, ratio in (("passive", passive_ratio), ("active", active_ratio)):
        for dt in (0.1, 0.01):
            rows.append(dict(dataset="multimodal_swissroll_overlap", sde=sde, sampler="learned_em",
                             convention="authors_nn, eps 0.001", iters=4000, dt_phys=dt, n_replicates=5,
                             spiral_ratio=ratio, spiral_ratio_se=se, occupancy_tv=0.02, occupancy_tv_se=0.01))
    return pd.DataFrame(rows)


def test_claims_reproduced_and_contradicted():
    settings = claims.ClaimSettings()
    good = {r["claim"]: r["verdict"] for r in claims.swissroll_claims(summary_rows(8.0, 1.1), settings)}
    assert good["passive fails on the Swiss rolls at every step size and iteration count"] == "reproduced"
    assert good["active resolves the roll positions and the spirals"] == "reproduced"
    bad = {r["claim"]: r["verdict"] for r in claims.swissroll_claims(summary_rows(1.1, 8.0), settings)}
    assert bad["passive fails on the Swiss rolls at every step size and iteration count"] == "contradicted"
    assert bad["active resolves the roll positions and the spirals"] == "contradicted"
