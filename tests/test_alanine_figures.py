"""Fig 3a (Ramachandran panels of the MD data and the models) from small constructed angles and a
basin table in the layout of alanine.tables.summarise_basins, and its beta/P_II dip figure."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib.collections import QuadMesh

from activediff.alanine import separation as sep
from activediff.alanine.basins import BASIN_NAMES
from activediff.alanine.figures import fig3a, fig3a_separation

from conftest import checked_figure

CENTRES = {"alpha_R": (-70.0, -40.0), "beta": (-150.0, 150.0), "P_II": (-70.0, 145.0), "alpha_L": (60.0, 40.0)}


def angles(n, seed):
    """n (phi, psi) points, a quarter in each basin, scattered by 8 degrees."""
    rng = np.random.default_rng(seed)
    centre = np.array(list(CENTRES.values()))[np.arange(n) % 4]
    points = centre + 8.0 * rng.standard_normal((n, 2))
    return points[:, 0], points[:, 1]


PANELS = {"data": angles(1000, 0), "passive": angles(800, 1), "active": angles(800, 2)}
TABLE = pd.DataFrame([dict(source=source, basin=b, population=0.0 if b == "other" else 0.25,
                           stderr=0.01 * (i + 1), n_seeds=np.nan if source == "data" else 2)
                      for i, source in enumerate(PANELS) for b in BASIN_NAMES])


def test_fig3a_draws_one_panel_per_source_on_one_colour_scale(tmp_path):
    fig = checked_figure(lambda: fig3a(PANELS, TABLE, bins=36), 4, tmp_path)  # three panels, the colour bar
    panels = fig.axes[:3]
    assert [ax.get_title() for ax in panels] == ["MD data (1,000 frames)", "Passive (800 samples, 2 seeds)",
                                                 "Active (800 samples, 2 seeds)"]
    meshes = [next(c for c in ax.collections if isinstance(c, QuadMesh)) for ax in panels]
    assert len({id(mesh.norm) for mesh in meshes}) == 1  # one shared log colour scale
    assert meshes[0].get_array().shape == (36, 36)
    texts = [t.get_text() for t in panels[1].texts]
    assert len(texts) == 4 and all("25.0 ± 2.0%" in t for t in texts)  # each basin's population +- error
    assert panels[0].get_ylabel() and not panels[1].get_ylabel()
    assert fig.axes[3].get_ylabel() == r"density (deg$^{-2}$)"


def test_separation_figure_marks_the_data_bins_and_reports_each_contrast(tmp_path):
    centres = sep.bin_centres(10.0)
    data = sep.band_density(*PANELS["data"], 10.0)
    models = {sde: [sep.band_density(*angles(800, seed), 10.0) for seed in (3, 4)] for sde in ("passive", "active")}
    where = dict(beta_phi=-155.0, p_ii_phi=-75.0, dip_phi=-115.0, bin_deg=10.0)
    summary = pd.DataFrame([dict(source="data", contrast=0.1, stderr=0.02, **where),
                            dict(source="passive", contrast=0.5, stderr=0.05, **where),
                            dict(source="active", contrast=0.15, stderr=0.03, **where)])
    fig = checked_figure(lambda: fig3a_separation(centres, data, models, summary), 1, tmp_path)
    ax = fig.axes[0]
    assert len(ax.lines) == 1 + 2 * 3 + 3                  # data, 2 x (2 seeds + mean), 3 markers
    assert [line.get_xdata()[0] for line in ax.lines[-3:]] == [-155.0, -75.0, -115.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["MD data: D = 0.10 $\\pm$ 0.02", "Passive (2 seeds): D = 0.50 $\\pm$ 0.05",
                      "Active (2 seeds): D = 0.15 $\\pm$ 0.03"]
    np.testing.assert_allclose(ax.lines[3].get_ydata(), np.mean(models["passive"], axis=0))
    # Without a dip in the data: no markers, the reason as the title.
    no_dip = pd.DataFrame([dict(source="data", contrast=1.0, stderr=0.0, error_from="no dip: too few frames")])
    fig = checked_figure(lambda: fig3a_separation(centres, data, models, no_dip), 1, tmp_path)
    assert fig.axes[0].get_title() == "no dip: too few frames" and len(fig.axes[0].lines) == 7
