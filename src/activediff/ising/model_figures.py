"""Figures of the lattice models (paper Fig 4 and A7, plus an observables figure), drawn from the
summary table of ising_models (results/metrics/ising.csv: mean and standard error over training
seeds per T, process, iteration, observable and x; the data as sde = "data")."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from activediff.evaluation.plotting import SDE_COLORS, SDE_LABELS, SDE_ORDER, set_theme

DATA_STYLE = dict(color="black", lw=1.6, label="data (MCMC)")


def _curve(summary: pd.DataFrame, T: float, sde: str, observable: str, iteration: int | None = None):
    sub = summary[(summary["T"] == T) & (summary["sde"] == sde) & (summary["observable"] == observable)]
    if iteration is not None:
        sub = sub[sub["iteration"] == iteration]
    return sub.sort_values("x")


def _models(summary: pd.DataFrame) -> list[str]:
    present = set(summary["sde"])
    return [s for s in SDE_ORDER if s in present]


def _iterations(summary: pd.DataFrame) -> list[int]:
    return sorted(int(i) for i in summary.loc[summary["sde"] != "data", "iteration"].unique())


def _temperatures(summary: pd.DataFrame) -> list[float]:
    return sorted(summary["T"].unique())


def _m_panel(ax, summary: pd.DataFrame, T: float, iteration: int) -> None:
    """M(n) of the data and of every process at one checkpoint, error bars over seeds."""
    data = _curve(summary, T, "data", "M")
    ax.plot(data["x"], data["mean"], **DATA_STYLE)
    for sde in _models(summary):
        c = _curve(summary, T, sde, "M", iteration)
        n_seeds = int(c["n_seeds"].max()) if len(c) else 0
        ax.errorbar(c["x"], c["mean"], yerr=c["stderr"], color=SDE_COLORS[sde], marker="o", ms=2.5, lw=1,
                    capsize=1.5, label=f"{SDE_LABELS[sde]} ({n_seeds} seeds)")
    ax.set(xscale="log", ylim=(0, 1.05), xlabel="filter size n", ylabel="M(n)")


def fig4(summary: pd.DataFrame):
    """Paper Fig 4: coarse-grained magnetisation of the data and of the three processes at the
    first checkpoint (paper: 100 iterations), one panel per temperature."""
    set_theme()
    temps, first = _temperatures(summary), _iterations(summary)[0]
    fig, axes = plt.subplots(1, len(temps), figsize=(3.4 * len(temps), 3.0), squeeze=False)
    for ax, T in zip(axes[0], temps):
        _m_panel(ax, summary, T, first)
        ax.set_title(f"T = {T:g}, {first} training iterations")
    axes[0, 0].legend(frameon=False, fontsize=7)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def fig_a7(summary: pd.DataFrame):
    """Paper Fig A7: M(n) of data and models at every checkpoint (columns), per temperature (rows)."""
    set_theme()
    temps, iterations = _temperatures(summary), _iterations(summary)
    fig, axes = plt.subplots(len(temps), len(iterations), figsize=(2.8 * len(iterations), 2.5 * len(temps)),
                             squeeze=False, sharey=True)
    for row, T in zip(axes, temps):
        for ax, it in zip(row, iterations):
            _m_panel(ax, summary, T, it)
            ax.set_title(f"T = {T:g}, {it} iterations", fontsize=9)
            if ax is not row[0]:
                ax.set_ylabel("")
    axes[0, 0].legend(frameon=False, fontsize=7)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def observables_figure(summary: pd.DataFrame, distances: pd.DataFrame):
    """Per temperature (rows): histograms of E/N and |m| and the correlation C(r) of data and
    models at the last checkpoint, and the M(n) distance to the data over training."""
    set_theme()
    temps, last = _temperatures(summary), _iterations(summary)[-1]
    fig, axes = plt.subplots(len(temps), 4, figsize=(13.0, 2.7 * len(temps)), squeeze=False)
    for (ax_e, ax_m, ax_c, ax_d), T in zip(axes, temps):
        for ax, name in ((ax_e, "energy_hist"), (ax_m, "absm_hist")):
            data = _curve(summary, T, "data", name)
            ax.stairs(_density(data), _edges(data), fill=True, color="0.8", label="data")
            for sde in _models(summary):
                c = _curve(summary, T, sde, name, last)
                ax.stairs(_density(c), _edges(c), color=SDE_COLORS[sde], lw=1.1, label=SDE_LABELS[sde])
            ax.set_xlim(*_support(summary, T, name, last))
        ax_e.set(xlabel="energy per spin E/N", ylabel="density", title=f"T = {T:g}, {last} iterations")
        ax_m.set(xlabel="|m|", ylabel="density")
        data = _curve(summary, T, "data", "C")
        ax_c.plot(data["x"], data["mean"], **DATA_STYLE)
        for sde in _models(summary):
            c = _curve(summary, T, sde, "C", last)
            ax_c.errorbar(c["x"], c["mean"], yerr=c["stderr"], color=SDE_COLORS[sde], marker="o", ms=2.5,
                          lw=1, capsize=1.5, label=SDE_LABELS[sde])
        ax_c.set(xlabel="distance r", ylabel="C(r)")
        d = distances[distances["T"] == T]
        for sde in _models(summary):
            g = d[d["sde"] == sde].groupby("iteration")["distance"]
            mean, err = g.mean(), g.std(ddof=1) / np.sqrt(g.count())
            ax_d.errorbar(mean.index, mean.values, yerr=err.fillna(0).values, color=SDE_COLORS[sde], marker="o",
                          ms=3, lw=1, capsize=2, label=SDE_LABELS[sde])
        ax_d.set(xscale="log", xlabel="training iterations", ylabel="RMS_n |M(n) - M_data(n)|")
    axes[0, 0].legend(frameon=False, fontsize=7)
    axes[0, 3].legend(frameon=False, fontsize=7)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def _edges(curve: pd.DataFrame) -> np.ndarray:
    """Bin edges from the (uniform) bin centres of a histogram curve."""
    x = curve["x"].to_numpy()
    step = x[1] - x[0]
    return np.r_[x - step / 2, x[-1] + step / 2]


def _density(curve: pd.DataFrame) -> np.ndarray:
    return curve["mean"].to_numpy()


def _support(summary: pd.DataFrame, T: float, name: str, iteration: int) -> tuple[float, float]:
    """x range where the data or a model at `iteration` has weight, with a margin."""
    sub = summary[(summary["T"] == T) & (summary["observable"] == name) & (summary["mean"] > 0)
                  & ((summary["sde"] == "data") | (summary["iteration"] == iteration))]
    lo, hi = sub["x"].min(), sub["x"].max()
    pad = 0.05 * (hi - lo) + 0.02
    return lo - pad, hi + pad
