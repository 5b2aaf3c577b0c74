"""The claim-map heat map (toy/claim_map.py; docs/theory.md 10): KL(passive) - KL(active) per
sampling condition (rows) and physical step size (columns), one panel per active variant and
passive comparison, '+' / '-' where the Welch test rejects equality, hatched where Euler-Maruyama
is unstable for either process."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import SymLogNorm
from matplotlib.patches import Rectangle

from activediff.evaluation.plotting import set_theme

COMPARISON_LABELS = {"paper": "paper", "temperature_matched": "temperature-matched"}
STEP_AXIS = "Delta t (physical B = beta t)\n(code dt)"


def condition_label(eps: float, denoise: bool) -> str:
    if eps == 0:
        return "analytic, eps 0"
    return f"nn, eps {eps:g}" + (" + denoise" if denoise else "")


def significance_mark(diff: float, p_value: float, alpha: float) -> str:
    """'+' (active significantly better), '-' (worse) or '.' (not significant / undefined)."""
    if not (np.isfinite(diff) and np.isfinite(p_value)) or p_value >= alpha:
        return "."
    return "+" if diff > 0 else "-"


def claim_map(table: pd.DataFrame, alpha: float = 0.05, panel_columns: int = 4):
    """The heat map of a claim-map table (toy.claim_map.variant_table rows, any number of variants)."""
    set_theme()
    variants = list(dict.fromkeys(table["variant"]))
    comparisons = [c for c in COMPARISON_LABELS if c in set(table["comparison"])]
    conds = sorted({(float(e), bool(d)) for e, d in zip(table["eps"], table["denoise"])})
    dts = sorted({float(v) for v in table["dt_physical"]}, reverse=True)
    code = dict(zip(table["dt_physical"].astype(float), table["dt_code"].astype(float)))
    panels = [(v, c) for v in variants for c in comparisons]
    ncols = min(panel_columns, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(0.5 * len(dts), 2.0) * ncols + 2.6, (0.3 * len(conds) + 1.5) * nrows + 0.9),
                             squeeze=False, constrained_layout=True)
    finite = np.abs(table["diff"].to_numpy(float))
    vmax = max(float(np.nanmax(finite[np.isfinite(finite)], initial=0.0)), 0.2)
    norm = SymLogNorm(linthresh=0.1, linscale=1.0, vmin=-vmax, vmax=vmax, base=10)
    cmap = plt.get_cmap("RdBu").with_extremes(bad="0.85")
    image = None
    for n, (ax, (variant, comparison)) in enumerate(zip(axes.flat, panels)):
        sub = table[(table["variant"] == variant) & (table["comparison"] == comparison)]
        values = np.full((len(conds), len(dts)), np.nan)
        for _, r in sub.iterrows():
            i, j = conds.index((float(r["eps"]), bool(r["denoise"]))), dts.index(float(r["dt_physical"]))
            values[i, j] = r["diff"]
            mark = significance_mark(float(r["diff"]), float(r["p_value"]), alpha)
            shade = abs(float(r["diff"])) > 0.3 * vmax if np.isfinite(r["diff"]) else False
            ax.text(j, i, mark, ha="center", va="center", fontsize=11 if mark != "." else 9,
                    fontweight="bold", color="white" if shade else "black")
            if not bool(r["em_stable"]):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="////", edgecolor="0.25",
                                       linewidth=0))
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
        first = sub.iloc[0]
        ax.set_title(f"active k {first['k']:g}, tau {first['tau']:g}, eta0 {first['eta0']}\n"
                     f"vs passive T {first['passive_T']:.3g} ({COMPARISON_LABELS[comparison]})", fontsize=7)
        ax.set_xticks(range(len(dts)), [f"{dt:g}\n({code[dt]:g})" for dt in dts], fontsize=6)
        ax.set_yticks(range(len(conds)), [condition_label(*c) for c in conds] if n % ncols == 0 else [], fontsize=7)
        if n >= len(panels) - ncols:
            ax.set_xlabel(STEP_AXIS, fontsize=7)
        ax.tick_params(length=0)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    bar = fig.colorbar(image, ax=axes, shrink=0.6, aspect=30, pad=0.01)
    bar.set_label("KL(passive) - KL(active)   (> 0: active closer to the data)", fontsize=8)
    fig.suptitle(f"KL(passive) - KL(active): '+' / '-' active better / worse at p < {alpha:g} (Welch t over the "
                 "metric chunks), '.' not significant;\nhatched: Euler-Maruyama unstable for either process "
                 "(amplification > 1)", fontsize=8)
    return fig
