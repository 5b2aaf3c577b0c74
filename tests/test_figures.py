"""Figure builders: the scatter grid draws 2D sets as scatter panels and 1D sets as histograms."""

import matplotlib

matplotlib.use("Agg")
import numpy as np

from activediff.figures import scatter_grid


def test_scatter_grid_draws_1d_rows_as_histograms_and_2d_rows_as_scatter():
    rng = np.random.default_rng(0)
    rows = [("multigaussian_1d", "passive"), ("diamond", "active")]
    data = {rows[0]: rng.normal(size=(500, 1)), rows[1]: rng.normal(size=(500, 2))}
    samples = {(row, it): data[row] * 1.1 for row in rows for it in (10, 20)}
    fig = scatter_grid(data, samples, rows, [10, 20], "test", col_label=lambda it: f"{it} iterations")
    axes = np.array(fig.axes).reshape(2, 3)
    for ax in axes[0]:
        assert len(ax.patches) == 60 and not ax.collections  # 60 histogram bars, no scatter
    for ax in axes[1]:
        assert len(ax.collections) == 1 and len(ax.collections[0].get_offsets()) == 500
    assert axes[0, 1].get_title() == "10 iterations" and axes[1, 0].get_ylabel() == "diamond\nActive"
