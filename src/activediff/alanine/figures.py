"""Fig 3a: Ramachandran plots of the MD data and of the passive, active and CLD models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from activediff.alanine.ramachandran import density_norm, ramachandran_density, ramachandran_panel
from activediff.alanine.tables import SOURCE_LABELS
from activediff.evaluation.plotting import SDE_COLORS, set_theme


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


def fig3a_separation(centres, data_density, model_densities: dict[str, list], summary: pd.DataFrame):
    """The beta/P_II dip (alanine.separation): density along phi inside the shared psi band for
    the data (black) and every trained model (thin: one seed; thick: mean over seeds), with the
    data's two peaks and dip marked and each source's contrast D +- its error in the legend."""
    set_theme()
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    rows = summary.set_index("source")

    def label(source: str, name: str) -> str:
        if source not in rows.index or "dip_phi" not in rows.columns:
            return name
        r = rows.loc[source]
        return f"{name}: D = {r['contrast']:.2f} $\\pm$ {r['stderr']:.2f}"

    ax.plot(centres, data_density, color="black", lw=2.2, drawstyle="steps-mid", label=label("data", "MD data"))
    for sde, densities in model_densities.items():
        colour = SDE_COLORS.get(sde)
        for rho in densities:
            ax.plot(centres, rho, color=colour, lw=0.7, alpha=0.45, drawstyle="steps-mid")
        ax.plot(centres, np.mean(densities, axis=0), color=colour, lw=1.8, drawstyle="steps-mid",
                label=label(sde, f"{SOURCE_LABELS.get(sde, sde)} ({len(densities)} seeds)"))
    if "dip_phi" in rows.columns:
        for key, name in (("beta_phi", r"$\beta$ peak"), ("p_ii_phi", r"P$_{II}$ peak"), ("dip_phi", "dip")):
            ax.axvline(rows.loc["data", key], color="0.4", ls=":" if key == "dip_phi" else "--", lw=0.9)
            ax.annotate(name, (rows.loc["data", key], 1.0), xycoords=("data", "axes fraction"),
                        ha="center", va="bottom", fontsize=8)
    else:
        ax.set_title(str(rows.loc["data", "error_from"]), fontsize=8)
    ax.set_xlim(-180, 0)
    ax.set_xlabel(r"$\phi$ (deg), inside the $\beta$/P$_{II}$ band of $\psi$")
    ax.set_ylabel(r"density (fraction deg$^{-1}$)")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return fig
