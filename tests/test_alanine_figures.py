"""Fig 3a (Ramachandran panels of the MD data and the models) from small constructed angles and a
basin table in the layout of alanine.tables.summarise_basins."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib.collections import QuadMesh

from activediff.alanine.basins import BASIN_NAMES
from activediff.alanine.figures import fig3a

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
