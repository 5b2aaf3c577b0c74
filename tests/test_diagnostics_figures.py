"""Figures D1 (GFDT response) and D2 (entropy production) from small constructed tables in the
layout of the diagnostics tables (response curves and errors; the entropy-production table)."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

from activediff.diagnostics.figures import ESTIMATORS, entropy_figure, response_figure
from activediff.evaluation.plotting import SDE_COLORS

from conftest import checked_figure

T = np.linspace(0.0, 1.0, 11)


def response_curves():
    """R(t) of each estimator: the mixture at (0, 0) (learned score: two seeds), the active OU
    process at (0, 0) and (0, 1)."""
    rows = []
    runs = {"langevin_mixture": [("kick", -1), ("score_exact", -1), ("score_learned", 0), ("score_learned", 1),
                                 ("gaussian", -1)],
            "active_ou": [("expm", -1), ("score_exact", -1), ("gaussian", -1)]}
    for process, estimators in runs.items():
        for estimator, seed in estimators:
            for i, j in ((0, 0), (0, 1)):
                rows += [dict(process=process, estimator=estimator, seed=seed, t=t, i=i, j=j,
                              R=np.exp(-t) * (1.0 if i == j else 0.3) + 0.01 * (seed + 1), R_se=0.02) for t in T]
    return pd.DataFrame(rows)


ERRORS = pd.DataFrame([dict(process="langevin_mixture", estimator="kick", seed=-1, rel_l2=0.0, rel_l2_se=0.04),
                       dict(process="langevin_mixture", estimator="score_exact", seed=-1, rel_l2=0.05, rel_l2_se=0.01),
                       dict(process="langevin_mixture", estimator="score_learned", seed=0, rel_l2=0.2, rel_l2_se=0.02),
                       dict(process="active_ou", estimator="gaussian", seed=-1, rel_l2=0.01, rel_l2_se=0.001)])


def test_response_figure_panels_and_error_bars(tmp_path):
    curves = response_curves()
    fig = checked_figure(lambda: response_figure(curves, ERRORS), 4, tmp_path)
    mixture, xx, xeta, bars = fig.axes
    # kick, exact score, learned score (one line per seed) and the Gaussian FDT; bands on the first two
    assert len(mixture.lines) == 5 and len(mixture.collections) == 2
    assert [t.get_text() for t in mixture.get_legend().get_texts()] == [
        ESTIMATORS[e][0] for e in ("kick", "score_exact", "score_learned", "gaussian")]
    np.testing.assert_allclose(mixture.lines[0].get_ydata(), np.exp(-T))
    for ax in (xx, xeta):
        assert len(ax.lines) == 3 and ax.get_xlabel() == "t (physical)"
    np.testing.assert_allclose(xeta.lines[0].get_ydata(), 0.3 * np.exp(-T))  # the (0, 1) entry
    assert [p.get_width() for p in bars.patches] == pytest.approx([0.05, 0.2, 0.01])  # all but the kick
    assert [t.get_text() for t in bars.get_yticklabels()] == [
        "langevin_mixture\nscore_exact", "langevin_mixture\nscore_learned s0", "active_ou\ngaussian"]
    assert bars.lines[-1].get_xdata()[0] == pytest.approx(0.04)  # noise level of the kick truth


def entropy_table():
    """Pi(t) of two processes (exact/learned/Gaussian-data forward, exact/learned reverse, the learned
    score at two seeds) and the passive fluctuation-theorem windows."""
    rows = []
    starts = np.geomspace(1e-3, 1.0, 6)
    for sde in ("passive", "active"):
        for direction, score, seeds in (("forward", "exact", [-1]), ("reverse", "exact", [-1]),
                                        ("forward", "learned", [0, 1]), ("reverse", "learned", [0]),
                                        ("forward", "gaussian_data", [-1])):
            for seed in seeds:
                rows += [dict(dataset="diamond", sde=sde, quantity="pi", direction=direction, score=score, seed=seed,
                              t_start=t, t_end=t, value=1.0 / t, se=0.1 / t, window="point") for t in starts]
    for quantity, value in (("ift", 1.02), ("mean_delta_s_tot", 0.5), ("integral_pi", 0.48)):
        rows += [dict(dataset="diamond", sde="passive", quantity=quantity, direction="forward", score="exact", seed=-1,
                      t_start=a, t_end=b, value=value, se=0.01, window="step") for a, b in zip(starts[:-1], starts[1:])]
    return pd.DataFrame(rows)


def test_entropy_figure_one_panel_per_process_and_the_fluctuation_theorem(tmp_path):
    table = entropy_table()
    fig = checked_figure(lambda: entropy_figure(table), 3, tmp_path)
    passive, active, ft = fig.axes
    assert [passive.get_title(), active.get_title()] == ["Passive", "Active"]
    for ax, sde in ((passive, "passive"), (active, "active")):
        assert len(ax.containers) == 6  # one per (direction, score, seed)
        assert matplotlib.colors.same_color(ax.containers[0].lines[0].get_color(), SDE_COLORS[sde])
        assert ax.get_xscale() == ax.get_yscale() == "log"
    ift = ft.containers[0].lines[0]
    np.testing.assert_allclose(np.asarray(ift.get_ydata(), dtype=float), 0.02)  # <e^{-Delta s}> - 1
    z = next(line for line in ft.lines if line.get_marker() == "s")
    np.testing.assert_allclose(np.asarray(z.get_ydata(), dtype=float), (0.5 - 0.48) / np.hypot(0.01, 0.01) / 10)
