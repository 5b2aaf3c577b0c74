"""Figures D1 (GFDT response) and D2 (entropy production along generation) from the tidy tables
of activediff.diagnostics.tables; saving is activediff.evaluation.plotting.save_figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from activediff.evaluation.plotting import SDE_COLORS, SDE_LABELS, SDE_ORDER, set_theme

ESTIMATORS = {"kick": ("kick (truth)", "0.2"), "expm": ("$e^{At}$ (exact)", "0.2"),
              "score_exact": ("GFDT, exact score", "C0"), "score_learned": ("GFDT, learned score", "C1"),
              "gaussian": ("Gaussian FDT $C(t)C(0)^{-1}$", "C2")}


def _curve(ax, curves, process, estimator, i, j, **kw):
    sub = curves[(curves["process"] == process) & (curves["estimator"] == estimator) & (curves["i"] == i)
                 & (curves["j"] == j)]
    for k, (seed, g) in enumerate(sub.groupby("seed")):
        label, color = ESTIMATORS[estimator]
        ax.plot(g["t"], g["R"], color=color, label=label if k == 0 else None, lw=1.2, **kw)
        if estimator in ("kick", "score_exact"):
            ax.fill_between(g["t"], g["R"] - g["R_se"], g["R"] + g["R_se"], color=color, alpha=0.2, lw=0)


def response_figure(curves: pd.DataFrame, errors: pd.DataFrame):
    set_theme()
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    for est, ls in (("kick", "-"), ("score_exact", "-"), ("score_learned", "--"), ("gaussian", ":")):
        _curve(axes[0], curves, "langevin_mixture", est, 0, 0, ls=ls)
    axes[0].set(xlabel="t", ylabel="$R_{xx}(t)$", title="Langevin in the diamond potential $p_\\epsilon$")
    axes[0].legend(fontsize=6, frameon=False)
    for ax, (i, j) in zip(axes[1:3], ((0, 0), (0, 1))):
        for est, ls in (("expm", "-"), ("score_exact", "-"), ("gaussian", ":")):
            _curve(ax, curves, "active_ou", est, i, j, ls=ls)
        names = ("x", "\\eta")
        ax.set(xlabel="t (physical)", ylabel=f"$R_{{{names[i]}{names[j]}}}(t)$", title="stationary active OU")
    axes[1].legend(fontsize=6, frameon=False)
    err = errors[errors["estimator"] != "kick"].copy()
    err["label"] = err["process"] + "\n" + err["estimator"] + np.where(err["seed"] >= 0, " s" + err["seed"].astype(str), "")
    ax = axes[3]
    colors = [ESTIMATORS[e][1] for e in err["estimator"]]
    ax.barh(np.arange(len(err)), err["rel_l2"], xerr=err["rel_l2_se"], color=colors, capsize=2)
    ax.set_yticks(np.arange(len(err)), err["label"], fontsize=6)
    noise = errors[(errors["process"] == "langevin_mixture") & (errors["estimator"] == "kick")]["rel_l2_se"]
    if len(noise):
        ax.axvline(float(noise.iloc[0]), color="0.3", ls="--", lw=0.8)
    ax.set(xscale="log", xlabel="relative L2 error vs truth", title="dashed: noise level of the kick truth")
    ax.invert_yaxis()
    sns.despine(fig)
    fig.tight_layout()
    return fig


def entropy_figure(table: pd.DataFrame):
    set_theme()
    sdes = [s for s in SDE_ORDER if s in set(table["sde"])]
    fig, axes = plt.subplots(1, len(sdes) + 1, figsize=(3.6 * (len(sdes) + 1), 3.3), squeeze=False)
    axes = axes[0]
    styles = {("forward", "exact"): ("-", None), ("reverse", "exact"): ("", "o"), ("forward", "learned"): ("--", None),
              ("reverse", "learned"): ("", "x"), ("forward", "gaussian_data"): (":", None)}
    pi = table[table["quantity"] == "pi"]
    for ax, sde in zip(axes, sdes):
        for (direction, score), (ls, marker) in styles.items():
            sub = pi[(pi["sde"] == sde) & (pi["direction"] == direction) & (pi["score"] == score)]
            for k, (seed, g) in enumerate(sub.groupby("seed")):
                color = "0.4" if score == "gaussian_data" else SDE_COLORS[sde]
                alpha = 1.0 if score == "exact" else 0.6
                ax.errorbar(g["t_start"], g["value"].clip(lower=1e-6), yerr=g["se"], ls=ls or "none", marker=marker,
                            ms=3, color=color, alpha=alpha, lw=1, label=f"{direction}, {score}" if k == 0 else None)
        part = {"passive": "$\\Pi$", "active": "$\\Pi_\\eta$", "cld": "$\\Pi_v$ (v odd)"}[sde]
        ax.set(xscale="log", yscale="log", xlabel="forward time t (code)", ylabel=part + " per code time",
               title=SDE_LABELS[sde])
    axes[0].legend(fontsize=6, frameon=False)
    ax = axes[-1]
    win = table[(table["sde"] == "passive") & (table["window"] == "step")]
    ift = win[win["quantity"] == "ift"]
    mid = np.sqrt(ift["t_start"] * ift["t_end"])
    ax.errorbar(mid, ift["value"] - 1, yerr=ift["se"], fmt="o", ms=3, color="C3", label="$\\langle e^{-\\Delta s}\\rangle - 1$")
    ds = win[win["quantity"] == "mean_delta_s_tot"].set_index(["t_start", "t_end"])
    ip = win[win["quantity"] == "integral_pi"].set_index(["t_start", "t_end"])
    both = ds.join(ip, how="inner", suffixes=("_ds", "_pi")).reset_index()
    mid2 = np.sqrt(both["t_start"] * both["t_end"])
    z = (both["value_ds"] - both["value_pi"]) / np.hypot(both["se_ds"], both["se_pi"])
    ax.plot(mid2, z / 10, "s", ms=3, color="C4", label="z($\\langle\\Delta s\\rangle$ vs $\\int\\Pi$) / 10")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set(xscale="log", xlabel="window (forward time, code)", title="passive, exact: fluctuation theorem")
    ax.legend(fontsize=6, frameon=False)
    sns.despine(fig)
    fig.tight_layout()
    return fig
