"""The paper's claims as numbers with error bars (results/fidelity.csv).

Each function turns a stage's tidy tables into rows: claim, figure, quantity, value, stderr,
z (value / stderr, where an error bar exists) and whether the claim holds in our run. A claim
"holds" when the value has the claimed sign by more than two standard errors (or, for exact
closed forms, by any margin).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from activediff.evaluation.tables import final_checkpoint

COLUMNS = ["claim", "figure", "setting", "quantity", "value", "stderr", "z", "holds"]


def claim_row(claim, figure, setting, quantity, value, stderr=float("nan")):
    """One claim of the paper as a number of this run: holds when value > 0 by more than 2 SE."""
    z = value / stderr if stderr and np.isfinite(stderr) and stderr > 0 else float("nan")
    holds = bool(value > 0 and (not np.isfinite(z) or z > 2))
    return dict(claim=claim, figure=figure, setting=setting, quantity=quantity, value=float(value),
                stderr=float(stderr), z=float(z), holds=holds)


def exact_score_step_size(table: pd.DataFrame, claim: str = "active beats passive with the exact score",
                          figure: str = "fig2a/figA1") -> list[dict]:
    """Fig 2a / A1 (and 2b with learned scores): active samples beat passive ones at the same
    step size (KL(data||gen) lower)."""
    rows = []
    for (ds, dt), sub in table.groupby(["dataset", "dt"]):
        by = sub.set_index("sde")
        if not {"passive", "active"} <= set(by.index):
            continue
        diff = by.loc["passive", "kl"] - by.loc["active", "kl"]
        err = np.hypot(by.loc["passive", "kl_se"], by.loc["active", "kl_se"])
        rows.append(claim_row(claim, figure, f"{ds} dt={dt:g}",
                         "KL(passive) - KL(active)", diff, err))
    return rows


def speciation_order(markers: pd.DataFrame, simulation: pd.DataFrame) -> list[dict]:
    """Fig A8: speciation happens earlier in generation (larger forward time) for the active process."""
    rows = []
    crit = markers.pivot_table(index="dataset", columns="sde", values="t_s")
    for ds, r in crit.iterrows():
        if {"passive", "active"} <= set(r.index):
            rows.append(claim_row("active speciates earlier in generation", "figA8", f"{ds} (criterion)",
                             "t_s(active) - t_s(passive) (code time)", r["active"] - r["passive"]))
    sim = simulation.pivot_table(index="separation", columns="sde", values=["t_sim", "t_sim_se"])
    for sep, r in sim.iterrows():
        if ("t_sim", "active") in r.index and ("t_sim", "passive") in r.index:
            rows.append(claim_row("active speciates earlier in generation", "figA8",
                             f"two Gaussians at +-{sep / 2:g} (clones)", "t_sim(active) - t_sim(passive)",
                             r[("t_sim", "active")] - r[("t_sim", "passive")],
                             np.hypot(r[("t_sim_se", "active")], r[("t_sim_se", "passive")])))
    return rows


def fourier_high_modes(empirical: pd.DataFrame, passive: str, active: str) -> list[dict]:
    """Fig A6: high Fourier modes decay more slowly at early times under active noise:
    |phat(q_max, t)| larger for active than passive at the earliest simulated time."""
    q = empirical["q"].max()
    sub = empirical[empirical["q"] == q]
    t0 = sub["t"].min()
    a = sub[(sub["process"] == active) & (sub["t"] == t0)].iloc[0]
    p = sub[(sub["process"] == passive) & (sub["t"] == t0)].iloc[0]
    return [claim_row("high Fourier modes survive longer under active noise", "figA6", f"q={q:g} t={t0:.3g}",
                 "|phat| active - passive (simulated)", a["abs_phat"] - p["abs_phat"],
                 np.hypot(a["abs_phat_se"], p["abs_phat_se"]))]


def learned_claims(summary: pd.DataFrame) -> list[dict]:
    """Fig 2b: the same ordering with learned scores (error bars over training seeds); and, beyond
    the paper, the splitting samplers against Euler-Maruyama at the same step size."""
    final = final_checkpoint(summary)
    rows = exact_score_step_size(final[final["sampler"] == "learned_em"],
                                 "active beats passive with a learned score", "fig2b/figA2")
    for (ds, sde, dt), sub in final[final["sampler"].isin(["learned_em", "learned_split"])].groupby(
            ["dataset", "sde", "dt"]):
        by = sub.set_index("sampler")
        if {"learned_em", "learned_split"} <= set(by.index):
            rows.append(claim_row("splitting sampler beats Euler-Maruyama (not in the paper)", "sampler_comparison",
                             f"{ds} {sde} dt={dt:g}", "KL(EM) - KL(splitting)",
                             by.loc["learned_em", "kl"] - by.loc["learned_split", "kl"],
                             np.hypot(by.loc["learned_em", "kl_se"], by.loc["learned_split", "kl_se"])))
    return rows


def table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)
