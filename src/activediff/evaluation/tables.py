"""Tidy metric tables: summaries over training seeds and learned-vs-exact comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd

METRICS = ("kl", "kl_unfenced", "bhattacharyya", "sliced_w2", "mmd2")
KEYS = ["dataset", "sde", "sampler", "convention", "iters", "dt", "dt_phys"]


def final_checkpoint(summary: pd.DataFrame) -> pd.DataFrame:
    """Rows at each dataset's last training checkpoint (datasets may train on different schedules)."""
    return summary[summary["iters"] == summary.groupby("dataset")["iters"].transform("max")]


def summarise_over_seeds(raw: pd.DataFrame) -> pd.DataFrame:
    """Mean over training seeds and its standard error (std / sqrt(n_seeds)), n_replicates the
    seeds behind it; with one seed the error is the within-run standard error over metric chunks
    (n_replicates the chunks). Non-finite and fenced sample counts are summed over seeds."""
    rows = []
    for key, group in raw.groupby(KEYS, sort=True):
        row = dict(zip(KEYS, key), n_seeds=len(group), score_evals=float(group["score_evals"].mean()),
                   n_replicates=len(group) if len(group) > 1 else int(group["n_replicates"].iloc[0]),
                   n_nonfinite=int(group["n_nonfinite"].sum()), n_fenced=int(group["n_fenced"].sum()),
                   n_chunks_regridded=int(group["n_chunks_regridded"].sum()))
        if "em_amplification" in group:
            row["em_amplification"] = float(group["em_amplification"].max())
            row["em_stable"] = bool(group["em_stable"].astype(bool).all())
        for m in METRICS:
            values = group[m].to_numpy()
            row[m] = float(values.mean())
            row[m + "_se"] = (float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1
                              else float(group[m + "_se"].iloc[0]))
        rows.append(row)
    return pd.DataFrame(rows)


def learned_vs_exact(summary: pd.DataFrame, exact: pd.DataFrame) -> pd.DataFrame:
    """Final-checkpoint Euler-Maruyama metrics of learned scores beside the exact-score ones at the
    same (dataset, process, step size); gap = learned - exact with its combined standard error."""
    final = final_checkpoint(summary)
    final = final[final["sampler"] == "learned_em"]
    merged = final.merge(exact, on=["dataset", "sde", "convention", "dt_phys"], suffixes=("_learned", "_exact"))
    out = merged[["dataset", "sde", "convention", "dt_phys", "n_seeds"]].copy()
    for m in METRICS:
        out[m + "_learned"] = merged[m + "_learned"]
        out[m + "_learned_se"] = merged[m + "_se_learned"]
        out[m + "_exact"] = merged[m + "_exact"]
        out[m + "_exact_se"] = merged[m + "_se_exact"]
        out[m + "_gap"] = merged[m + "_learned"] - merged[m + "_exact"]
        out[m + "_gap_se"] = np.hypot(merged[m + "_se_learned"], merged[m + "_se_exact"])
    return out.sort_values(["dataset", "sde", "convention", "dt_phys"], ignore_index=True)


def summarise_measures(by_seed: pd.DataFrame, measures, keys=("dataset", "sde", "sampler", "convention", "iters",
                                                               "dt_phys")) -> pd.DataFrame:
    """Mean and standard error over training seeds of per-seed measures (n_replicates = seeds)."""
    if by_seed.empty:
        return pd.DataFrame(columns=[*keys, "n_replicates", *[m + s for m in measures for s in ("", "_se")]])
    rows = []
    for key, group in by_seed.groupby(list(keys), sort=True):
        row = dict(zip(keys, key), n_replicates=len(group))
        for m in measures:
            values = group[m].to_numpy(dtype=float)
            row[m] = float(values.mean())
            row[m + "_se"] = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
