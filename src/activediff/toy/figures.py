"""Seaborn figures of the analytic-score stage (Fig 2a, A1, A6, A8). Each function takes tidy
data and returns a matplotlib Figure; saving is activediff.evaluation.plotting.save_figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from activediff.evaluation.plotting import SDE_COLORS, SDE_LABELS, SDE_ORDER, set_theme

METRIC_LABELS = {"kl": "KL(data || gen)", "kl_unfenced": "KL, no IQR fence", "bhattacharyya": "Bhattacharyya coeff.",
                 "sliced_w2": "sliced W2", "mmd2": "MMD$^2$"}


def physical_step_label(beta: float):
    """Column label of a physical step size, with the code-time step beside it."""
    return lambda dt: f"$\\Delta t$ = {dt:g}\n(code {dt / beta:g})"


STEP_LABEL = r"step size $\Delta t$ (physical time $B = \beta t$; code $\Delta t/\beta$)"


def scatter_grid(data: dict, samples: dict, rows, cols, title: str, col_label=lambda c: f"$\\Delta t$ = {c:g}",
                 row_label=None, max_points: int = 4000):
    """Rows x columns of scatter panels, the first column the data of each row.
    data[row] is (N, 2) (or one array for every row); samples[(row, col)] is (N, 2); a row is a
    process name or a (dataset, process) pair, coloured by its process. Rows of 1D sets (N, 1)
    show density histograms instead."""
    set_theme()
    fig, axes = plt.subplots(len(rows), len(cols) + 1, figsize=(1.9 * (len(cols) + 1), 1.9 * len(rows)),
                             squeeze=False)
    data_of = data if isinstance(data, dict) else {row: data for row in rows}
    row_label = row_label or (lambda r: SDE_LABELS[r] if isinstance(r, str) else f"{r[0]}\n{SDE_LABELS[r[1]]}")
    for r, row in enumerate(rows):
        sde = row if isinstance(row, str) else row[1]
        lim = 1.6 * np.abs(data_of[row]).max()
        for c in range(len(cols) + 1):
            ax = axes[r, c]
            if c == 0:
                pts, color, label = data_of[row], "0.3", "data"
            else:
                pts, color, label = samples[(row, cols[c - 1])], SDE_COLORS[sde], col_label(cols[c - 1])
            pts = np.clip(pts[:max_points], -2 * lim, 2 * lim)
            if pts.shape[1] == 1:  # a 1D set: density histogram over the same window
                ax.hist(pts[:, 0], bins=60, range=(-lim, lim), density=True, color=color, alpha=0.8)
                ax.set(xlim=(-lim, lim), xticks=[], yticks=[])
            else:
                ax.scatter(pts[:, 0], pts[:, 1], s=0.6, alpha=0.5, color=color, linewidths=0, rasterized=True)
                ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xticks=[], yticks=[])
            if r == 0:
                ax.set_title(label, fontsize=9)
            if c == 0:
                ax.set_ylabel(row_label(row), fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))  # 0.3 inch kept for the title
    return fig


def metric_curves(table: pd.DataFrame, reference: pd.DataFrame, metrics=tuple(METRIC_LABELS), x="dt_phys",
                  hue="sde", style=None, xlabel=STEP_LABEL):
    """Each metric against `x`: one column per dataset, one line per `hue` value (process) and, with
    `style`, per value of that column (e.g. the sampler: solid, dashed, ...), error bars = SE; the
    grey band is the data-vs-data value (the floor a perfect sampler reaches). Points where
    Euler-Maruyama is linearly unstable (column em_stable False) are circled in red."""
    set_theme()
    datasets = list(dict.fromkeys(table["dataset"]))
    hues = [h for h in SDE_ORDER if h in set(table[hue])] or sorted(set(table[hue]))
    palette = SDE_COLORS if set(hues) <= set(SDE_COLORS) else dict(zip(hues, sns.color_palette("colorblind", len(hues))))
    styles = list(dict.fromkeys(table[style])) if style else [None]
    line_styles = dict(zip(styles, ["-", "--", ":", "-."] * 2))
    fig, axes = plt.subplots(len(metrics), len(datasets), figsize=(3.2 * len(datasets), 2.2 * len(metrics)),
                             sharex=True, squeeze=False)
    for c, ds in enumerate(datasets):
        for r, metric in enumerate(metrics):
            ax = axes[r, c]
            for h in hues:
                of_hue = table[(table["dataset"] == ds) & (table[hue] == h)]
                for st in styles:
                    sub = (of_hue[of_hue[style] == st] if style else of_hue).sort_values(x)
                    if len(sub):
                        ax.errorbar(sub[x], sub[metric], yerr=sub[metric + "_se"], marker="o", ms=3, capsize=2,
                                    color=palette[h], ls=line_styles[st],
                                    label=SDE_LABELS.get(h, h) + (f" / {st}" if style else ""))
                        if "em_stable" in sub:
                            bad = sub[~sub["em_stable"].astype(bool)]
                            ax.scatter(bad[x], bad[metric], s=40, facecolors="none", edgecolors="red", lw=0.8,
                                       zorder=3, label=None)
            ref = reference[reference["dataset"] == ds]
            if len(ref):
                v, e = float(ref[metric].iloc[0]), float(ref[metric + "_se"].iloc[0])
                ax.axhspan(v - e, v + e, color="0.8", zorder=0)
                ax.axhline(v, color="0.5", lw=0.8, ls="--", label="data vs data")
            ax.set_xscale("log")
            if metric in ("kl", "mmd2", "sliced_w2"):
                ax.set_yscale("log")
            if r == 0:
                ax.set_title(ds)
            if c == 0:
                ax.set_ylabel(METRIC_LABELS[metric])
            if r == len(metrics) - 1:
                ax.set_xlabel(xlabel)
    axes[0, -1].legend(fontsize=7, frameon=False)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def fourier_modes(closed: pd.DataFrame, empirical: pd.DataFrame):
    """(a) |phat(q, t)| of the forward kernel, closed form (lines) and simulation (markers);
    (b) decay rate of ln|phat| divided by q^2 against t."""
    set_theme()
    variants = list(dict.fromkeys(closed["process"]))
    palette = dict(zip(variants, sns.color_palette("colorblind", len(variants))))
    qs = sorted(set(closed["q"]))
    styles = dict(zip(qs, ["-", "--", ":", "-."] * 4))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for v in variants:
        for q in qs:
            cf = closed[(closed["process"] == v) & (closed["q"] == q)]
            ax1.plot(cf["t"], np.exp(cf["log_abs_phat"]), color=palette[v], ls=styles[q], lw=1.2)
            em = empirical[(empirical["process"] == v) & (empirical["q"] == q)]
            ax1.errorbar(em["t"], em["abs_phat"], yerr=em["abs_phat_se"], fmt="o", ms=2.5, color=palette[v],
                         alpha=0.8)
        cf = closed[(closed["process"] == v) & (closed["q"] == qs[0])]
        ax2.plot(cf["t"], cf["decay_rate_over_q2"], color=palette[v], label=v)
    ax1.set(xscale="log", xlabel="forward time t (code)", ylabel=r"$|\hat p(q, t)|$",
            title="lines: closed form, dots: simulation; " + ", ".join(f"q={q:g} {styles[q]}" for q in qs))
    ax1.title.set_fontsize(7)
    ax2.set(xscale="log", yscale="log", xlabel="forward time t (code)",
            ylabel=r"$-\partial_t \ln|\hat p| / q^2$", title="decay rate of mode q, over q$^2$")
    ax2.legend(fontsize=7, frameon=False)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def speciation(criterion: pd.DataFrame, markers: pd.DataFrame, simulation: pd.DataFrame, curves: pd.DataFrame):
    """(a) speciation time against Lambda: exact criterion (lines), toy sets (open markers),
    cloned-trajectory simulation (filled markers, error bars from the phi curve SE);
    (b) same-basin probability of clones against clone time for one test set."""
    set_theme()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for sde in [s for s in SDE_ORDER if s in set(criterion["sde"])]:
        col = SDE_COLORS[sde]
        cr = criterion[criterion["sde"] == sde]
        ax1.plot(cr["lambda"], cr["t_s"], color=col, label=f"{SDE_LABELS[sde]} (criterion)")
        mk = markers[markers["sde"] == sde]
        ax1.scatter(mk["lambda"], mk["t_s"], facecolors="none", edgecolors=col, s=25)
        sim = simulation[simulation["sde"] == sde]
        ax1.errorbar(sim["lambda"], sim["t_sim"], yerr=sim["t_sim_se"], fmt="s", ms=4, color=col,
                     label=f"{SDE_LABELS[sde]} (clones)")
        sep = curves["separation"].max()
        cv = curves[(curves["sde"] == sde) & (curves["separation"] == sep)]
        ax2.errorbar(cv["t_clone"], cv["same_basin"], yerr=cv["same_basin_se"], marker="o", ms=2.5,
                     color=col, label=SDE_LABELS[sde])
        t_s = sim[sim["separation"] == sep]["t_criterion"]
        if len(t_s):
            ax2.axvline(float(t_s.iloc[0]), color=col, ls="--", lw=0.8)
    # Name each toy set once, above its highest marker (sets with equal Lambda share a label).
    for lam, group in markers.groupby("lambda"):
        ax1.annotate(", ".join(sorted(set(group["dataset"]))), (lam, group["t_s"].max()), fontsize=6,
                     xytext=(0, 6), textcoords="offset points", ha="center", rotation=90, va="bottom")
    ax1.set(xscale="log", xlabel=r"$\Lambda$ (top eigenvalue of data covariance)",
            ylabel=r"speciation time $t_s$ (code)")
    ax1.legend(fontsize=6, frameon=False)
    ax2.axhline(0.75, color="0.5", lw=0.8)
    ax2.set(xlabel="clone time $t_c$ (forward, code)", ylabel="P(same basin)",
            title=f"two Gaussians at $\\pm${sep / 2:g}; dashed: criterion", ylim=(0.4, 1.02))
    ax2.legend(fontsize=7, frameon=False)
    sns.despine(fig)
    fig.tight_layout()
    return fig
