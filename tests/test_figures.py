"""Figure builders: the scatter grid draws 2D sets as scatter panels and 1D sets as histograms."""

import matplotlib

matplotlib.use("Agg")
import numpy as np

from activediff.toy.figures import scatter_grid


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


def test_metric_curves_colour_by_process_and_line_style_by_sampler():
    import pandas as pd

    from activediff.evaluation.plotting import SDE_COLORS
    from activediff.toy.figures import metric_curves

    rows = [dict(dataset="diamond", sde=sde, method=method, dt_phys=dt, kl=1.0 + dt, kl_se=0.1)
            for sde in ("active", "cld") for method in ("Euler-Maruyama", "splitting") for dt in (0.01, 0.1)]
    reference = pd.DataFrame([dict(dataset="diamond", kl=0.5, kl_se=0.05)])
    fig = metric_curves(pd.DataFrame(rows), reference, metrics=("kl",), hue="sde", style="method")
    lines = {bars.get_label(): bars.lines[0] for bars in fig.axes[0].containers}  # one errorbar per curve
    assert set(lines) == {"Active / Euler-Maruyama", "Active / splitting", "CLD / Euler-Maruyama", "CLD / splitting"}
    assert lines["Active / Euler-Maruyama"].get_linestyle() == "-" and lines["Active / splitting"].get_linestyle() == "--"
    assert matplotlib.colors.same_color(lines["CLD / splitting"].get_color(), SDE_COLORS["cld"])
