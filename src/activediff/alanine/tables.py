"""Basin populations of the alanine models against the MD data, and the claims of Fig 3a.

Each trained model (process, training seed) gives one generated set; its basin populations carry
an ordinary bootstrap error (independent samples: basins.basin_populations with block_length = 1).
Over the S seeds of a process:

    population = mean over seeds of p_s
    stderr     = sqrt(max(var_s(p_s), mean_s(b_s^2)) / S)

where b_s is seed s's bootstrap error. var_s(p_s) holds both the spread between trained models and
the sampling noise; with a handful of seeds it can fall below the sampling noise by chance, which
the mean bootstrap variance then floors (both parts are reported as stderr_seeds and
stderr_sampling; stderr_seeds is inf for one seed, whose spread is unmeasured). The data row is
the MD block bootstrap (results/alanine/basins_data.csv), with n_seeds 0, stderr_seeds 0 and its
differences from itself 0, so the table has no blank cells.

Method minus data: the models are trained on exactly these frames, so `z` compares a method with
the populations of its training frames, using the method's error only (diff_stderr); the data's
own error (how far 1 us, or the default run, is from equilibrium) is in the data row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from activediff.alanine.basins import BASIN_NAMES
from activediff.evaluation.claims import ClaimSettings, superiority_row, unmeasured_row
from activediff.evaluation.verdicts import from_replicates
from activediff.io import InputError

SOURCES = ("data", "passive", "active", "cld")
SOURCE_LABELS = {"data": "MD data", "passive": "Passive", "active": "Active", "cld": "CLD"}
COLUMNS = ["source", "basin", "population", "stderr", "stderr_seeds", "stderr_sampling", "n_seeds",
           "n_points", "diff_vs_data", "diff_stderr", "z"]


def _check_basins(table: pd.DataFrame, what: str) -> None:
    missing = {"basin", "population", "stderr"} - set(table.columns)
    if missing:
        raise InputError(f"{what}: missing column(s) {sorted(missing)}")
    if set(table["basin"]) != set(BASIN_NAMES):
        raise InputError(f"{what}: basins {sorted(set(table['basin']))}, expected {list(BASIN_NAMES)}")


def summarise_basins(data: pd.DataFrame, by_seed: pd.DataFrame) -> pd.DataFrame:
    """Tidy table: one row per (source, basin), sources data then the processes of by_seed (in
    SOURCES order), basins in basins.BASIN_NAMES order. by_seed has columns sde, seed, basin,
    population, stderr, n_points (one basin_populations table per model)."""
    _check_basins(data, "data basin table")
    _check_basins(by_seed, "per-model basin table")
    reference = data.set_index("basin")["population"]
    if "n_points" not in data:
        raise InputError("data basin table: missing column 'n_points'")
    errors = data.set_index("basin")["stderr"]
    # The data row: no seeds (n_seeds 0, no seed spread), compared with itself (differences 0).
    rows = [dict(source="data", basin=b, population=reference[b], stderr=errors[b], stderr_seeds=0.0,
                 stderr_sampling=errors[b], n_seeds=0, n_points=int(data["n_points"].iloc[0]),
                 diff_vs_data=0.0, diff_stderr=0.0, z=0.0) for b in BASIN_NAMES]
    sdes = [s for s in SOURCES if s in set(by_seed["sde"])]
    for sde in sdes:
        sub = by_seed[by_seed["sde"] == sde]
        for b in BASIN_NAMES:
            cell = sub[sub["basin"] == b]
            p, boot = cell["population"].to_numpy(float), cell["stderr"].to_numpy(float)
            s = len(p)
            between = p.var(ddof=1) if s > 1 else 0.0
            within = float(np.mean(boot**2))
            se = np.sqrt(max(between, within) / s)
            diff = p.mean() - reference[b]
            rows.append(dict(source=sde, basin=b, population=p.mean(), stderr=se,
                             stderr_seeds=np.sqrt(between / s) if s > 1 else np.inf,
                             stderr_sampling=np.sqrt(within / s), n_seeds=s, n_points=int(cell["n_points"].sum()),
                             diff_vs_data=diff, diff_stderr=se, z=_z(diff, se)))
    return pd.DataFrame(rows, columns=COLUMNS)


def _z(diff: float, se: float) -> float:
    """diff / se; with no error at all (a basin no sample and no frame visits), 0 for no
    difference and +-inf for a difference the errors cannot cover."""
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else float(np.copysign(np.inf, diff))


def total_variation(by_seed: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Per model: TV = 1/2 sum over basins |p - p_data| (columns sde, seed, tv)."""
    reference = data.set_index("basin")["population"]
    diff = (by_seed["population"] - by_seed["basin"].map(reference)).abs() / 2
    return by_seed.assign(tv=diff).groupby(["sde", "seed"], as_index=False)["tv"].sum()


def fidelity_rows(data: pd.DataFrame, by_seed: pd.DataFrame, sdes, settings: ClaimSettings,
                  separation: pd.DataFrame | None = None, data_contrast: float | None = None,
                  no_dip: str = "") -> list[dict]:
    """Fig 3a: the active (and CLD) models put their samples into the MD basins closer to the data
    than the passive ones, gap = TV(passive) - TV(other) > 0 (superiority), paired over training
    seeds (a seed's models share their data batches; dof = seeds - 1); and they separate beta from
    P_II as the data do: gap = |D(passive) - D(data)| - |D(other) - D(data)| > 0 for the dip
    contrast D of alanine.separation (`separation`: its per-model table; `data_contrast`: the
    data's D; `no_dip` says why there is none, e.g. the data show no dip)."""
    tv = total_variation(by_seed, data).pivot(index="seed", columns="sde", values="tv")
    rows = _paired_rows(tv, sdes, settings, "reproduces the Ramachandran landscape better than passive",
                        "basin populations", "TV(passive) - TV({other}), TV = 1/2 sum_basins |p - p_data|")
    claim = "separates beta and P_II as clearly as the data, closer than passive"
    if separation is None or data_contrast is None:
        rows.append(unmeasured_row(f"Active {claim}", "fig3a", no_dip or "no dip contrast computed"))
        return rows
    distance = separation.assign(d=(separation["contrast"] - data_contrast).abs()).pivot(
        index="seed", columns="sde", values="d")
    rows += _paired_rows(distance, sdes, settings, claim,
                         f"beta/P_II dip contrast, data D = {data_contrast:.3g}",
                         "|D(passive) - D(data)| - |D({other}) - D(data)|, D = dip / (dip + lower peak)")
    return rows


def _paired_rows(per_seed: pd.DataFrame, sdes, settings: ClaimSettings, claim: str, what: str,
                 quantity: str) -> list[dict]:
    """passive minus each other process of a per-seed distance table (index seed, columns sde)."""
    rows = []
    for other in [s for s in sdes if s != "passive" and s in per_seed.columns]:
        if "passive" not in per_seed.columns:
            break
        gap = (per_seed["passive"] - per_seed[other]).dropna()
        label = f"{SOURCE_LABELS[other]} {claim}"
        if len(gap) < 2:
            rows.append(unmeasured_row(label, "fig3a", f"{len(gap)} training seed(s): an error bar needs two"))
            continue
        rows.append(superiority_row(label, "fig3a", f"alanine dipeptide, {len(gap)} seeds, {what}",
                                    quantity.format(other=other), from_replicates(gap), settings))
    return rows
