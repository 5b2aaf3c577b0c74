"""Fig 3a: Ramachandran plots of the MD data and of the passive, active and CLD models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from activediff.alanine.ramachandran import density_norm, ramachandran_density, ramachandran_panel
from activediff.alanine.tables import SOURCE_LABELS
from activediff.evaluation.plotting import set_theme


def fig3a(panels: dict[str, tuple], table: pd.DataFrame, bins: int = 90):
    """One panel per source (data first, then the processes), each a (phi, psi) pair in degrees;
    all on the same axes and the same log colour scale, labelled with the basin populations +-
    their errors from `table` (alanine_model_tables.summarise_basins)."""
    set_theme()
    norm = density_norm(*(ramachandran_density(phi, psi, bins)[1] for phi, psi in panels.values()))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels) + 0.8, 3.6), squeeze=False,
                             sharex=True, sharey=True, layout="constrained")
    mesh = None
    for ax, (source, (phi, psi)) in zip(axes[0], panels.items()):
        rows = table[table["source"] == source]
        what = "frames" if source == "data" else "samples"
        seeds = "" if source == "data" else f", {int(rows['n_seeds'].iloc[0])} seeds"
        mesh = ramachandran_panel(ax, phi, psi, basins=rows, bins=bins, norm=norm,
                                  title=f"{SOURCE_LABELS.get(source, source)} ({len(phi):,} {what}{seeds})")
        if ax is not axes[0][0]:
            ax.set_ylabel("")
    fig.colorbar(mesh, ax=axes[0].tolist(), label=r"density (deg$^{-2}$)", shrink=0.9)
    return fig
