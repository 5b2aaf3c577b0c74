"""Figures of the Ising stage, drawn from validation reports (activediff.ising.validation)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from activediff.evaluation.plotting import set_theme


def ising_data_figure(reports: list[dict]):
    """(a) energy-per-spin histograms with Kaufman's exact mean (dashed), (b) coarse-grained
    magnetisation M(n) with standard errors, one colour per temperature."""
    set_theme()
    reports = sorted(reports, key=lambda r: r["T"])
    colors = sns.color_palette("viridis", len(reports))
    fig, (ax_e, ax_m) = plt.subplots(1, 2, figsize=(8.0, 3.2))
    for rep, color in zip(reports, colors):
        n_spins = rep["L"] ** 2
        energy = np.asarray(rep["energy_histogram"]["total_energy"]) / n_spins
        count = np.asarray(rep["energy_histogram"]["count"], dtype=float)
        # E/N takes values 4/N apart, and at low T mostly 8/N apart (isolated flipped spins):
        # at least two levels per bin, about 40 bins per temperature
        levels_per_bin = max(2, int(np.ceil((energy.max() - energy.min()) * n_spins / 4 / 40)))
        edges = np.arange(energy.min() - 2.0 / n_spins, energy.max() + 4.0 * levels_per_bin / n_spins,
                          4.0 * levels_per_bin / n_spins)
        density, edges = np.histogram(energy, bins=edges, weights=count, density=True)
        ax_e.stairs(density, edges, fill=True, color=color, alpha=0.45, label=f"T = {rep['T']:g}")
        ax_e.stairs(density, edges, color=color, lw=1)
        ax_e.axvline(rep["energy_per_spin"]["exact"], color=color, ls="--", lw=1.2)
        cg = rep["coarse_grained_magnetization"]
        ax_m.errorbar(cg["n"], cg["mean"], yerr=cg["stderr"], color=color, marker="o", ms=2.5, lw=1,
                      capsize=1.5, label=f"T = {rep['T']:g}")
    ax_e.set(xlabel="energy per spin E/N", ylabel="density",
             title=f"MCMC data, L = {reports[0]['L']} (dashed: exact <E>/N)")
    ax_e.legend(frameon=False)
    ax_m.set(xlabel="filter size n", ylabel="M(n)", title="coarse-grained magnetisation", ylim=(0, 1.02))
    ax_m.legend(frameon=False)
    sns.despine(fig)
    fig.tight_layout()
    return fig
