"""Ramachandran plots: density of (phi, psi) on a log scale, with the basin boundaries."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from activediff.alanine.basins import BASIN_LABELS, BASINS, wrap_degrees

# Bottom-left corner (phi, psi) of each basin's label, inside its main rectangle, away from the
# density maxima.
LABEL_AT = {"alpha_R": (-177, -117), "beta": (-177, 53), "P_II": (-87, 53), "alpha_L": (3, -57)}


def ramachandran_density(phi, psi, bins: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """(bin edges, density per deg^2 of shape (bins, bins) indexed [phi, psi], NaN where empty)
    of angles wrapped into [-180, 180)."""
    edges = np.linspace(-180, 180, bins + 1)
    counts, _, _ = np.histogram2d(wrap_degrees(phi), wrap_degrees(psi), bins=[edges, edges])
    density = counts / max(counts.sum(), 1) / (edges[1] - edges[0]) ** 2
    density[density == 0] = np.nan
    return edges, density


def density_norm(*densities: np.ndarray) -> LogNorm | None:
    """One log colour scale spanning the occupied bins of every density given (a single
    occupied bin still gets a decade of range)."""
    positive = np.concatenate([d[np.isfinite(d)] for d in densities])
    if not positive.size:
        return None
    return LogNorm(vmin=positive.min(), vmax=max(positive.max(), 10 * positive.min()))


def ramachandran_panel(ax, phi, psi, *, basins: pd.DataFrame | None = None, bins: int = 90,
                       title: str = "", norm: LogNorm | None = None) -> None:
    """One Ramachandran panel: 2D histogram (log colour scale; its own unless `norm` is given,
    e.g. one shared by several panels), basin rectangles, and each basin's population +- its
    error when `basins` (basin, population, stderr) is given."""
    edges, density = ramachandran_density(phi, psi, bins)
    norm = norm if norm is not None else density_norm(density)
    mesh = ax.pcolormesh(edges, edges, density.T, cmap="viridis", norm=norm, rasterized=True)
    for name, rectangles in BASINS.items():
        for p0, p1, s0, s1 in rectangles:
            ax.add_patch(Rectangle((p0, s0), p1 - p0, s1 - s0, fill=False, lw=0.8, ls="--",
                                   ec="0.25"))
        text = BASIN_LABELS[name]
        if basins is not None:
            row = basins.set_index("basin").loc[name]
            text += f"\n{100 * row['population']:.1f} ± {100 * row['stderr']:.1f}%"
        ax.text(*LABEL_AT[name], text, fontsize=6.5, va="bottom", ha="left", color="0.1",
                bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none", alpha=0.6))
    ax.set(xlim=(-180, 180), ylim=(-180, 180), xlabel=r"$\phi$ (deg)", ylabel=r"$\psi$ (deg)",
           xticks=np.arange(-180, 181, 90), yticks=np.arange(-180, 181, 90), aspect="equal")
    if title:
        ax.set_title(title)
    return mesh


def ramachandran_data_figure(phi, psi, basins: pd.DataFrame | None = None):
    """Ramachandran plot of the MD data with basin populations (a figure for the report)."""
    fig, ax = plt.subplots(figsize=(4.4, 3.8))
    mesh = ramachandran_panel(ax, phi, psi, basins=basins,
                              title=f"Alanine dipeptide, MD data ({len(phi):,} frames)")
    fig.colorbar(mesh, ax=ax, label=r"density (deg$^{-2}$)")
    return fig
