"""The claims ledger (results/fidelity.csv): each claim of the paper tested as the paper states it.

One row per tested statement: the claim, the figure, its kind (evidence: a measurement with
sampling error; derived: a consequence of closed forms, not evidence), the conditions it was
measured under, the quantity, value +- stderr with its degrees of freedom, the test (superiority,
equivalence with a stated margin, closed-form sign; evaluation/verdicts.py) and the verdict:
reproduced, contradicted, inconclusive, or not measured here (the config does not measure it).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from activediff.evaluation import verdicts as vd
from activediff.evaluation.tables import final_checkpoint
from activediff.io import NOT_APPLICABLE, write_csv

COLUMNS = ["claim", "figure", "kind", "conditions", "quantity", "value", "stderr", "dof", "test", "margin",
           "statistic", "p_value", "verdict"]
NAMES = {"passive": "passive", "active": "active", "cld": "CLD"}
# The number columns. Any may not apply to a row ("n/a"): an unmeasured claim has no numbers, a whole
# claim's row none of its own, a closed form no test statistic. Its degrees of freedom are infinite,
# as is the error of a single replicate.
NUMBERS = ("value", "stderr", "dof", "margin", "statistic", "p_value")
INFINITE = ("stderr", "dof")


@dataclass(frozen=True)
class ClaimSettings:
    """How claims are decided (config section `claims`)."""

    alpha: float = 0.05
    kl_margin: float = 0.25  # |KL - floor| (nats) within which a sampler "reproduces the target" [A]
    large_dt_physical: tuple = (0.1, 0.05)  # the paper's "large" step sizes [A]
    ising_margin: float = 0.05  # M(n) RMS distance within which processes are "comparable" [A]
    spiral_threshold: float = 2.0  # spiral_ratio below which a roll's arms count as resolved [A]
    occupancy_threshold: float = 0.1  # occupancy TV below which the roll positions count as found [A]

    def __post_init__(self):
        object.__setattr__(self, "large_dt_physical", tuple(float(d) for d in self.large_dt_physical))
        if not (0 < self.alpha < 0.5 and self.kl_margin > 0 and self.ising_margin > 0):
            raise ValueError(f"claims: need 0 < alpha < 0.5 and positive margins, got {self}")

    @classmethod
    def from_config(cls, section) -> "ClaimSettings":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - names)
        if unknown:
            raise ValueError(f"claims: unknown key(s) {unknown}")
        return cls(**dict(section))


def row(claim, figure, conditions, quantity, est: vd.Estimate | None, result: dict, kind="evidence") -> dict:
    return dict(claim=claim, figure=figure, kind=kind, conditions=conditions, quantity=quantity,
                value=est.value if est else float("nan"), stderr=est.stderr if est else float("nan"),
                dof=est.dof if est else float("nan"), **result)


def superiority_row(claim, figure, conditions, quantity, est, settings: ClaimSettings) -> dict:
    return row(claim, figure, conditions, quantity, est, vd.superiority(est, settings.alpha))


def equivalence_row(claim, figure, conditions, quantity, est, margin, settings: ClaimSettings) -> dict:
    return row(claim, figure, conditions, quantity, est, vd.equivalence(est, margin, settings.alpha))


def derived_row(claim, figure, conditions, quantity, value) -> dict:
    return row(claim, figure, conditions, quantity, vd.Estimate(float(value), 0.0, math.inf), vd.derived(value),
               kind="derived")


def unmeasured_row(claim, figure, why: str, kind="evidence") -> dict:
    """A claim this run cannot decide: the config does not measure it, or a quantity is undefined
    (e.g. a speciation crossing that never happens); `why` says which."""
    return dict(claim=claim, figure=figure, kind=kind, conditions=why, quantity="", value=float("nan"),
                stderr=float("nan"), dof=float("nan"), test="", margin=float("nan"), statistic=float("nan"),
                p_value=float("nan"), verdict="not measured here")


def summary_row(claim, figure, conditions, parts: list[dict]) -> dict:
    """The claim as a whole, from its parts (verdicts.all_of)."""
    return dict(unmeasured_row(claim, figure, conditions), quantity="all parts above", test="all parts",
                verdict=vd.all_of(p["verdict"] for p in parts))


def table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def write(path, frame: pd.DataFrame) -> None:
    """The ledger, or one stage's part of it, as CSV (numbers that do not apply to a row: "n/a")."""
    write_csv(path, frame, not_applicable=NUMBERS, infinite=INFINITE)


def read(path) -> pd.DataFrame:
    """A ledger CSV as `write` wrote it: text columns as text (an empty cell stays empty), numbers as
    floats ("n/a" as NaN)."""
    return pd.read_csv(path, dtype={c: str for c in COLUMNS if c not in NUMBERS}, keep_default_na=False,
                       na_values={c: [NOT_APPLICABLE] for c in NUMBERS})


# -- step-size claims (Fig 2a / A1 exact score, Fig 2b / A2 learned) -----------------------------

def _estimate(r, metric="kl") -> vd.Estimate:
    return vd.Estimate(float(r[metric]), float(r[metric + "_se"]), float(r["n_replicates"]) - 1)


def _conditions(ds, r, extra="") -> str:
    stable = "" if bool(r.get("em_stable", True)) else ", EM unstable (amplification > 1)"
    return (f"{ds}, dt {r['dt_phys']:g} physical ({r['dt']:g} code), {r['convention']}{stable}{extra}")


def process_context(active: dict, passive: dict) -> str:
    """The process parameters that decide the comparison, for a row's conditions."""
    return (f"; active k {active['k']:g}, tau {active['tau']:g}, Tp {active['Tp']:g}, Ta {active['Ta']:g}, "
            f"eta0 {active['eta0']}; passive k {passive['k']:g}, T {passive['T']:g}")


def step_size_claims(table: pd.DataFrame, floor: pd.DataFrame, settings: ClaimSettings, figure: str,
                     what: str, close_dataset: str | None = None, context: str = "") -> list[dict]:
    """Fig 2a / A1 (and 2b / A2 with learned scores), per dataset and convention, from rows with
    dataset, sde, dt, dt_phys, convention, kl, kl_se, n_replicates (, em_stable):
    - active better than passive at the large step sizes (superiority of KL(passive) - KL(active));
    - at the smallest step size both reproduce the target (KL - floor within the margin, TOST) and
      are comparable (KL(passive) - KL(active) within the margin);
    - close diamond (close_dataset): passive struggles at the smallest step size (KL(passive) -
      floor above the margin).
    `context` (process_context) is appended to every row's conditions."""
    rows = []
    floors = floor.set_index("dataset")
    for (ds, conv), sub in table.groupby(["dataset", "convention"], sort=True):
        by = {(r["sde"], float(r["dt_phys"])): r for _, r in sub.iterrows()}
        dts = sorted({float(d) for d in sub["dt_phys"]})
        for dt in [d for d in dts if any(math.isclose(d, big) for big in settings.large_dt_physical)]:
            if ("passive", dt) in by and ("active", dt) in by:
                p, a = by[("passive", dt)], by[("active", dt)]
                unstable = "" if (bool(p.get("em_stable", True)) and bool(a.get("em_stable", True))) else \
                    f" (EM amplification: passive {p.get('em_amplification', np.nan):.3g}, " \
                    f"active {a.get('em_amplification', np.nan):.3g})"
                rows.append(superiority_row(f"active better than passive at large step sizes ({what})", figure,
                                            f"{ds}, dt {dt:g} physical ({p['dt']:g} code), {conv}{unstable}{context}",
                                            "KL(passive) - KL(active)", _estimate(p).minus(_estimate(a)), settings))
        small = dts[0] if dts else None
        if small is None or ds not in floors.index:
            continue
        ref = vd.Estimate(float(floors.loc[ds, "kl"]), float(floors.loc[ds, "kl_se"]),
                          float(floors.loc[ds, "n_replicates"]) - 1)
        parts = []
        for sde in ("passive", "active"):
            if (sde, small) in by:
                r = by[(sde, small)]
                parts.append(equivalence_row(f"{sde} reproduces the target at the smallest step size ({what})",
                                             figure, _conditions(ds, r, context), f"KL({sde}) - KL(data vs data)",
                                             _estimate(r).minus(ref), settings.kl_margin, settings))
        if ("passive", small) in by and ("active", small) in by:
            p, a = by[("passive", small)], by[("active", small)]
            parts.append(equivalence_row(f"passive and active comparable at the smallest step size ({what})", figure,
                                         _conditions(ds, p, context), "KL(passive) - KL(active)",
                                         _estimate(p).minus(_estimate(a)), settings.kl_margin, settings))
            rows += parts
            rows.append(summary_row(f"comparable at small step sizes, both reproduce the target ({what})", figure,
                                    _conditions(ds, p, context), parts))
        if ds == close_dataset and ("passive", small) in by:
            r = by[("passive", small)]
            rows.append(superiority_row(f"close diamond: passive struggles at the smallest step size ({what})",
                                        figure, _conditions(ds, r, context),
                                        f"KL(passive) - KL(data vs data) - margin {settings.kl_margin:g}",
                                        _estimate(r).minus(ref).shifted(-settings.kl_margin), settings))
    return rows


def learned_claims(summary: pd.DataFrame, exact: pd.DataFrame, floor: pd.DataFrame,
                   settings: ClaimSettings, context: str = "") -> list[dict]:
    """Fig 2b / A2: the step-size claims with learned scores (error bars over training seeds);
    the learned score worse than the exact one at the same step size; active and CLD better than
    passive at intermediate step sizes; and, beyond the paper, splitting vs Euler-Maruyama."""
    final = final_checkpoint(summary)
    em = final[final["sampler"] == "learned_em"]
    rows = step_size_claims(em, floor, settings, "fig2b/figA2", "learned score", context=context)
    ex = exact.set_index(["dataset", "sde", "convention", "dt_phys"])
    keys = ["dataset", "sde", "convention", "dt_phys"]
    common = em[[tuple(k) in ex.index for k in em[keys].itertuples(index=False)]]
    for _, r in common.loc[common.groupby(["dataset", "sde", "convention"])["dt_phys"].idxmin()].iterrows():
        key = (r["dataset"], r["sde"], r["convention"], float(r["dt_phys"]))
        rows.append(superiority_row("learned score worse than the exact score", "fig2b/figA2",
                                    _conditions(r["dataset"], r, f", {NAMES[r['sde']]}{context}"),
                                    "KL(learned) - KL(exact), smallest common step size",
                                    _estimate(r).minus(_estimate(ex.loc[key])), settings))
    for (ds, conv), sub in em.groupby(["dataset", "convention"]):
        dts = sorted({float(d) for d in sub["dt_phys"]})
        by = {(r["sde"], float(r["dt_phys"])): r for _, r in sub.iterrows()}
        for dt in dts[1:-1]:
            for other in ("active", "cld"):
                if ("passive", dt) in by and (other, dt) in by:
                    rows.append(superiority_row(f"{NAMES[other]} better than passive at intermediate step sizes "
                                                "(learned score)", "fig2b/figA2", _conditions(ds, by[(other, dt)]),
                                                f"KL(passive) - KL({other})",
                                                _estimate(by[("passive", dt)]).minus(_estimate(by[(other, dt)])),
                                                settings))
    split = final[final["sampler"].isin(["learned_em", "learned_split"])]
    for (ds, sde, conv, dt), sub in split.groupby(["dataset", "sde", "convention", "dt_phys"]):
        by = sub.set_index("sampler")
        if {"learned_em", "learned_split"} <= set(by.index):
            rows.append(superiority_row("splitting sampler beats Euler-Maruyama (not in the paper)",
                                        "sampler_comparison", _conditions(ds, by.loc["learned_em"], f", {NAMES[sde]}"),
                                        "KL(EM) - KL(splitting)",
                                        _estimate(by.loc["learned_em"]).minus(_estimate(by.loc["learned_split"])),
                                        settings))
    return rows


# -- derived statements and their empirical tests (Fig A6, A8) -----------------------------------

def speciation_claims(markers: pd.DataFrame, matched: pd.DataFrame, simulation: pd.DataFrame,
                      n_trajectories: int, settings: ClaimSettings) -> list[dict]:
    """Fig A8: speciation earlier in generation (larger forward time) for the active process.
    The criterion rows are identities of closed forms (derived), with the temperature-matched
    passive control beside them (matched: dataset, t_s of a passive process at the active
    stationary x temperature); the clone simulation is the empirical test."""
    rows = []
    crit = markers.pivot_table(index="dataset", columns="sde", values="t_s")
    control = matched.set_index("dataset")["t_s"] if len(matched) else pd.Series(dtype=float)
    for ds, r in crit.iterrows():
        if {"passive", "active"} <= set(r.index):
            rows.append(derived_row("active speciates earlier in generation", "figA8",
                                    f"{ds}, exact criterion a^2 Lambda = Delta_t; follows from Var_x(active) < "
                                    "Var_x(passive) (active is colder)",
                                    "t_s(active) - t_s(passive) (code time)", r["active"] - r["passive"]))
            if ds in control.index and np.isfinite(control[ds]):
                rows.append(derived_row("active speciates earlier in generation", "figA8",
                                        f"{ds}, exact criterion, temperature-matched passive control",
                                        "t_s(active) - t_s(passive at T = k Var_x(active))",
                                        r["active"] - control[ds]))
    sim = simulation.set_index(["separation", "sde"])
    for sep in sorted(simulation["separation"].unique()):
        if (sep, "active") not in sim.index or (sep, "passive") not in sim.index:
            continue
        a, p = sim.loc[(sep, "active")], sim.loc[(sep, "passive")]
        claim, cond = "active speciates earlier in generation", f"two Gaussians at +-{sep / 2:g}, cloned trajectories"
        if not (np.isfinite(a["t_sim"]) and np.isfinite(p["t_sim"])):
            rows.append(unmeasured_row(claim, "figA8", cond + ": a same-basin curve never crosses its level "
                                       f"(t_sim passive {p['t_sim']}, active {a['t_sim']})"))
            continue
        est = (vd.Estimate(float(a["t_sim"]), float(a["t_sim_se"]), n_trajectories - 1)
               .minus(vd.Estimate(float(p["t_sim"]), float(p["t_sim_se"]), n_trajectories - 1)))
        rows.append(superiority_row(claim, "figA8", cond, "t_sim(active) - t_sim(passive) (code time)", est, settings))
    return rows


def fourier_claims(empirical: pd.DataFrame, passive: str, active: str) -> list[dict]:
    """Fig A6: high Fourier modes decay more slowly at early times under active noise. A
    consequence of the closed-form x variance (t^2 or t^3 onset against 2 T t): derived, here
    checked on simulated paths at the largest q and the earliest simulated time."""
    q = empirical["q"].max()
    sub = empirical[empirical["q"] == q]
    t0 = sub["t"].min()
    a = sub[(sub["process"] == active) & (sub["t"] == t0)].iloc[0]
    p = sub[(sub["process"] == passive) & (sub["t"] == t0)].iloc[0]
    return [dict(derived_row("high Fourier modes survive longer under active noise", "figA6",
                             f"q={q:g}, t={t0:.3g} code; follows from Var_x(active) < Var_x(passive); simulated "
                             f"check: {a['abs_phat'] - p['abs_phat']:.3g} +- "
                             f"{np.hypot(a['abs_phat_se'], p['abs_phat_se']):.2g}",
                             "|phat| active - passive (simulated paths)", a["abs_phat"] - p["abs_phat"]))]


# -- section IV hypotheses (diagnostics) ------------------------------------------------------------

def _log_time_integral(t: np.ndarray, values: np.ndarray) -> float:
    """int values dt by the trapezoid rule on a (log-spaced) time grid."""
    return float(np.sum(np.diff(t) * (values[1:] + values[:-1]) / 2))


def entropy_production_claims(table: pd.DataFrame, n_samples: int, settings: ClaimSettings) -> list[dict]:
    """Section IV: entropy production along generation lower for the active process: int Pi dt of
    the generative process with the exact score, passive against active (the active value is its
    eta-channel part, the x channel carrying no noise with Tp = 0: a definitional choice). The
    error is the integral of the per-time errors (the times share trajectories: an upper bound).
    The conditions give each process's stationary rate (pi_stationary rows) times the duration:
    the active process produces entropy at rest (its eta is even), so that much of its integral is
    its activity, not its generation; passive and CLD produce none at rest."""
    rev = table[(table["quantity"] == "pi") & (table["direction"] == "reverse") & (table["score"] == "exact")]
    totals = {}
    for sde, sub in rev.groupby("sde"):
        sub = sub.sort_values("t_start")
        t = sub["t_start"].to_numpy()
        totals[sde] = vd.Estimate(_log_time_integral(t, sub["value"].to_numpy()),
                                  _log_time_integral(t, sub["se"].to_numpy()), n_samples - 1)
    if not {"passive", "active"} <= set(totals):
        return [unmeasured_row("entropy production along generation lower for active noise", "figD2",
                               "needs the passive and active entropy-production curves (diagnostics.sdes)")]
    t = rev["t_start"]
    rest = table[table["quantity"] == "pi_stationary"].set_index("sde")["value"]
    at_rest = "; ".join(f"{sde} {totals[sde].value:.3g}, of which {rest[sde] * (t.max() - t.min()):.3g} its stationary "
                        f"rate ({rest[sde]:.3g} per code time) x the duration" for sde in ("passive", "active")
                        if sde in rest.index)
    return [superiority_row("entropy production along generation lower for active noise", "figD2",
                            f"exact score, generative process, t in [{t.min():.3g}, {t.max():.3g}] code; active: "
                            "eta-channel part only (Tp = 0)" + (f"; int Pi dt: {at_rest}" if at_rest else ""),
                            "int Pi dt (passive) - int Pi dt (active)",
                            totals["passive"].minus(totals["active"]), settings)]


def score_variation_claims(summary: pd.DataFrame, n_samples: int, settings: ClaimSettings) -> list[dict]:
    """Section IV: the active score varies more slowly along t than the passive one. Quantity: the
    mean over ln t of E|d s / d ln t|^2 / E|s|^2 of the exact score on its noised channel
    (diagnostics/score_variation.py), passive (and its temperature-matched control) against active."""
    by = summary.set_index("process")
    rows = []
    for control in ("passive", "passive (temperature-matched)"):
        if control in by.index and "active" in by.index:
            est = (vd.Estimate(float(by.loc[control, "mean"]), float(by.loc[control, "se"]), n_samples - 1)
                   .minus(vd.Estimate(float(by.loc["active", "mean"]), float(by.loc["active", "se"]), n_samples - 1)))
            rows.append(superiority_row("the active score varies more slowly along diffusion time", "section IV",
                                        f"exact score on the noised channel, {by.loc['active', 'dataset']}, mean over "
                                        f"ln t in [{by.loc['active', 't_min']:.3g}, {by.loc['active', 't_max']:.3g}]; "
                                        f"against {control}",
                                        f"R({control}) - R(active), R = <E|ds/dln t|^2 / E|s|^2>_ln t", est, settings))
    return rows


# -- Swiss rolls (Fig 3b, A3, A4) ----------------------------------------------------------------

def swissroll_claims(summary: pd.DataFrame, settings: ClaimSettings) -> list[dict]:
    """From toy/swissroll.py's measures (mean over seeds): passive fails at every step size and
    iteration count (spiral_ratio above the threshold, each Euler-Maruyama row; the claim as a
    whole needs all of them), and active resolves both the roll positions (occupancy TV below its
    threshold; five-roll sets) and the spirals (spiral_ratio below its threshold) at the final
    checkpoint and the smallest step size, per grid convention."""
    rows = []
    em = summary[summary["sampler"] == "learned_em"]
    for ds, sub in em.groupby("dataset", sort=True):
        parts = []
        for _, r in sub[sub["sde"] == "passive"].sort_values(["convention", "iters", "dt_phys"]).iterrows():
            est = vd.Estimate(float(r["spiral_ratio"]), float(r["spiral_ratio_se"]), float(r["n_replicates"]) - 1)
            parts.append(superiority_row("passive fails on the Swiss rolls", "fig3b/figA3/figA4",
                                         f"{ds}, {r['iters']} iterations, dt {r['dt_phys']:g} physical, {r['convention']}",
                                         f"spiral_ratio - {settings.spiral_threshold:g}",
                                         est.shifted(-settings.spiral_threshold), settings))
        if parts:
            rows += parts + [summary_row("passive fails on the Swiss rolls at every step size and iteration count",
                                         "fig3b/figA3/figA4", ds, parts)]
        active = sub[(sub["sde"] == "active") & (sub["iters"] == sub["iters"].max())]
        for conv, a in active.groupby("convention"):
            r = a.loc[a["dt_phys"].idxmin()]
            cond = f"{ds}, {r['iters']} iterations, dt {r['dt_phys']:g} physical, {conv}"
            dof = float(r["n_replicates"]) - 1
            parts = [superiority_row("active resolves the spirals", "fig3b/figA3", cond,
                                     f"{settings.spiral_threshold:g} - spiral_ratio",
                                     vd.Estimate(settings.spiral_threshold - float(r["spiral_ratio"]),
                                                 float(r["spiral_ratio_se"]), dof), settings)]
            if ds != "swissroll":
                parts.append(superiority_row("active finds the roll positions", "fig3b/figA4", cond,
                                             f"{settings.occupancy_threshold:g} - occupancy TV",
                                             vd.Estimate(settings.occupancy_threshold - float(r["occupancy_tv"]),
                                                         float(r["occupancy_tv_se"]), dof), settings))
            rows += parts + [summary_row("active resolves the roll positions and the spirals", "fig3b/figA3/figA4",
                                         cond, parts)]
    return rows


# -- paper A2.3: final denoising (from the claim map) ---------------------------------------------

def denoising_claims(claim_map: pd.DataFrame, settings: ClaimSettings, n_replicates: int,
                     variant: str | None = None) -> list[dict]:
    """Paper A2.3: a final denoising step changes passive samples but not active ones. From the
    claim map's rows of one variant (default: the first, i.e. the configured process) against the
    paper's passive comparison, at each step size and eps > 0: the KL change denoising makes for
    passive (two-sided difference) and for active (equivalence to 0 within the KL margin); each
    process's KL has n_replicates - 1 degrees of freedom (the metric chunks)."""
    rows = []
    cm = claim_map[(claim_map["comparison"] == "paper") & (claim_map["eps"] > 0)]
    if cm.empty:
        return [unmeasured_row("final denoising changes passive samples but not active ones", "A2.3",
                               "the claim map has no eps > 0 cells with the paper's passive comparison")]
    variant = variant or cm["variant"].iloc[0]
    cm = cm[cm["variant"] == variant]
    for (dt, eps), sub in cm.groupby(["dt_physical", "eps"], sort=True):
        by = {bool(d): r for d, r in zip(sub["denoise"], sub.to_dict("records"))}
        if set(by) != {True, False}:
            continue
        dof = float(n_replicates - 1)
        parts = []
        for sde in ("passive", "active"):
            on, off = by[True], by[False]
            est = (vd.Estimate(on[f"kl_{sde}"], on[f"kl_{sde}_se"], dof)
                   .minus(vd.Estimate(off[f"kl_{sde}"], off[f"kl_{sde}_se"], dof)))
            cond = f"{variant}, dt {dt:g} physical, eps {eps:g}"
            claim = f"final denoising {'changes' if sde == 'passive' else 'does not change'} {sde} samples"
            result = vd.difference(est, settings.alpha) if sde == "passive" else vd.equivalence(
                est, settings.kl_margin, settings.alpha)
            parts.append(row(claim, "A2.3", cond, f"KL({sde}, denoised) - KL({sde}, not denoised)", est, result))
        rows += parts + [summary_row("final denoising changes passive samples but not active ones", "A2.3",
                                     f"{variant}, dt {dt:g} physical, eps {eps:g}", parts)]
    return rows
