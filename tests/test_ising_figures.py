"""Ising figures from small constructed tables: the data figure (validation reports) and the model
figures (Fig 4, Fig A7, observables) from a summary table in the layout of ising_models."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import StepPatch

from activediff.evaluation.plotting import SDE_COLORS
from activediff.ising.data_figures import ising_data_figure
from activediff.ising.model_figures import fig4, fig_a7, observables_figure

from conftest import checked_figure

L = 8


def report(T, mean_energy):
    """A validation report of L = 8 lattices: total energies 4 apart around N * mean_energy."""
    n = L * L
    energy = np.arange(-2 * n, -n + 1, 4)
    count = np.round(1000 * np.exp(-0.5 * ((energy / n - mean_energy) / 0.05) ** 2)).astype(int)
    return {"T": T, "L": L, "energy_histogram": {"total_energy": energy.tolist(), "count": count.tolist()},
            "energy_per_spin": {"exact": mean_energy},
            "coarse_grained_magnetization": {"n": [1, 2, 4, 8], "mean": [1.0, 0.8, 0.6, 0.5],
                                             "stderr": [0.0, 0.01, 0.02, 0.03]}}


REPORTS = [report(2.0, -1.5), report(1.5, -1.9)]  # not in T order: the figure sorts them


def test_data_figure_draws_one_histogram_and_one_curve_per_temperature(tmp_path):
    fig = checked_figure(lambda: ising_data_figure(REPORTS), 2, tmp_path)
    ax_e, ax_m = fig.axes
    steps = [p for p in ax_e.patches if isinstance(p, StepPatch)]
    assert len(steps) == 4  # filled and outlined, per temperature
    for step in steps[::2]:
        values, edges = step.get_data()[:2]
        assert np.sum(values * np.diff(edges)) == pytest.approx(1.0)  # a density
    assert [line.get_xdata()[0] for line in ax_e.lines] == [-1.9, -1.5]  # exact means, in T order
    assert [c.get_label() for c in ax_m.containers] == ["T = 1.5", "T = 2"]
    assert ax_m.get_ylim() == (0, 1.02) and "L = 8" in ax_e.get_title()


def summary_table():
    """Summary rows (T, sde, iteration, observable, x, mean, stderr, n_seeds) for two temperatures,
    the data and two processes at checkpoints 2 and 4 (the data at iteration 0, 0 seeds)."""
    rows = []
    curves = {"M": np.array([1.0, 2.0, 4.0, 8.0]), "C": np.arange(4.0),
              "energy_hist": np.linspace(-2.0, -1.0, 11), "absm_hist": np.linspace(0.0, 1.0, 11)}
    for T in (2.0, 2.5):
        for sde, iterations, seeds in (("data", [0], 0), ("passive", [2, 4], 2), ("active", [2, 4], 2)):
            for it in iterations:
                shift = 0.0 if sde == "data" else 0.05 * it / 4
                for name, x in curves.items():
                    mean = np.exp(-x / (4 * T)) + shift if name in ("M", "C") else np.exp(-((x - x.mean()) ** 2) / 0.1)
                    rows += [dict(T=T, sde=sde, iteration=it, observable=name, x=xi, mean=m,
                                  stderr=0.0 if sde == "data" else 0.01, n_seeds=seeds) for xi, m in zip(x, mean)]
    return pd.DataFrame(rows)


def distances_table():
    return pd.DataFrame([dict(T=T, sde=sde, seed=seed, iteration=it, distance=0.1 * it + 0.01 * seed)
                         for T in (2.0, 2.5) for sde in ("passive", "active") for seed in (0, 1) for it in (2, 4)])


def test_fig4_is_one_panel_per_temperature_at_the_first_checkpoint(tmp_path):
    summary = summary_table()
    fig = checked_figure(lambda: fig4(summary), 2, tmp_path)
    assert [ax.get_title() for ax in fig.axes] == ["T = 2, 2 training iterations", "T = 2.5, 2 training iterations"]
    for ax in fig.axes:
        assert len(ax.lines) >= 1 and ax.lines[0].get_label() == "data (MCMC)"
        labels = [c.get_label() for c in ax.containers]
        assert labels == ["Passive (2 seeds)", "Active (2 seeds)"]  # paper order, present processes only
        assert matplotlib.colors.same_color(ax.containers[1].lines[0].get_color(), SDE_COLORS["active"])
        assert ax.get_xscale() == "log"


def test_fig_a7_is_temperatures_by_checkpoints(tmp_path):
    summary = summary_table()
    fig = checked_figure(lambda: fig_a7(summary), 4, tmp_path)
    assert [ax.get_title() for ax in fig.axes] == ["T = 2, 2 iterations", "T = 2, 4 iterations",
                                                   "T = 2.5, 2 iterations", "T = 2.5, 4 iterations"]
    assert all(len(ax.containers) == 2 for ax in fig.axes)


def test_observables_figure_has_four_panels_per_temperature(tmp_path):
    summary, distances = summary_table(), distances_table()
    fig = checked_figure(lambda: observables_figure(summary, distances), 8, tmp_path)
    axes = np.array(fig.axes).reshape(2, 4)
    for row, T in zip(axes, (2.0, 2.5)):
        ax_e, ax_m, ax_c, ax_d = row
        assert ax_e.get_title() == f"T = {T:g}, 4 iterations"  # the last checkpoint
        for ax in (ax_e, ax_m):
            assert len([p for p in ax.patches if isinstance(p, StepPatch)]) == 3  # data + two processes
        assert len(ax_c.containers) == 2 and ax_c.lines[0].get_label() == "data (MCMC)"
        assert len(ax_d.containers) == 2 and ax_d.get_xscale() == "log"
        means = ax_d.containers[0].lines[0].get_ydata()  # passive: mean distance over the two seeds
        np.testing.assert_allclose(means, [0.205, 0.405])
