"""Score models on Ising lattices (docs/theory.md 5, paper Fig 4 and A7): training data, sampling with
the adaptive probability-flow ODE, discretisation, and the observables compared with the data.

- Training data: each training replicate uses its own random subset of the validated lattices
  (`LatticeData`), as floats +-1 (no centring, docs/theory.md 5); every iteration draws its batch
  from that subset with the iteration's seed (train.py), with replacement.
- Sampling: prior -> adaptive RK45 probability-flow ODE (rtol = atol = 1e-5) down to eps, then
  the final drift-only denoising step (docs/theory.md 2.6), then discretisation to +-1.
- Discretisation [A] (docs/theory.md 5): "sign" (cutoff 0; an exact zero becomes +-1 at random from a
  seeded stream) or "batch_mean" (the authors' later code: -1 below the mean of all generated
  values of the set, +1 otherwise).
- Observables per generated set: coarse-grained magnetisation M(n), n = 1..L, the two-point
  correlation C(r), histograms of E/N and |m| and their means (lattice_observables.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from activediff.diffusion.ode_sampler import probability_flow_samples
from activediff.diffusion.settings import SamplingSettings
from activediff.evaluation.claims import ClaimSettings, equivalence_row, superiority_row, unmeasured_row
from activediff.evaluation.verdicts import from_replicates
from activediff.io import InputError
from activediff.ising.mcmc import validate_lattices
from activediff.ising.observables import (
    abs_magnetization,
    coarse_grained_magnetization,
    energy_per_spin,
    two_point_correlation,
)
from activediff.seeding import derive_seed

CUTOFFS = ("sign", "batch_mean")
CURVES = ("M", "C", "energy_hist", "absm_hist")  # observables that are curves over x
SCALARS = ("energy", "absm", "score_evals")  # one number per generated set
SDE_NAMES = {"passive": "passive", "active": "active", "cld": "CLD"}


class LatticeData:
    """data_fn(n, seed) -> (n, L, L) float64 +-1 for train.train: draws from a fixed subset of
    `n_train` lattices (all if n_train is 0 or not smaller), chosen with `subset_seed`."""

    def __init__(self, lattices: np.ndarray, n_train: int = 0, subset_seed: int = 0, source: str = "lattices"):
        lattices = validate_lattices(lattices, source=source)
        n = lattices.shape[0]
        if n_train and n_train < n:
            keep = np.sort(np.random.default_rng(subset_seed).choice(n, size=int(n_train), replace=False))
            lattices = lattices[keep]
        self.lattices = np.ascontiguousarray(lattices)
        self.L = int(lattices.shape[1])

    def __len__(self) -> int:
        return int(self.lattices.shape[0])

    def __repr__(self) -> str:
        return f"LatticeData({len(self)} lattices of {self.L}x{self.L})"

    def __call__(self, n: int, seed: int) -> np.ndarray:
        idx = np.random.default_rng(seed).integers(0, self.lattices.shape[0], size=int(n))
        return self.lattices[idx].astype(np.float64)

    def spec(self, T: float) -> dict:
        """What the training run's fingerprint records about its data (a resume state of other
        data is refused)."""
        digest = hashlib.sha256(self.lattices.tobytes()).hexdigest()[:16]
        return {"kind": "ising", "T": float(T), "L": self.L, "n_train": int(self.lattices.shape[0]),
                "sha256": digest}


def discretize(x: np.ndarray, cutoff: str = "sign", seed: int = 0) -> np.ndarray:
    """Continuous generated lattices (n, L, L) -> int8 +-1 (module docstring). Non-finite
    values are refused with the count, since no spin can be assigned to them."""
    x = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"discretize: {int(bad.sum())} of {x.size} generated values are not finite "
                         f"(in {int(bad.reshape(len(x), -1).any(1).sum())} lattices); the sampler diverged")
    if cutoff == "sign":
        ties = np.random.default_rng(seed).integers(0, 2, size=x.shape, dtype=np.int8) * 2 - 1
        return np.where(x > 0, 1, np.where(x < 0, -1, ties)).astype(np.int8)
    if cutoff == "batch_mean":
        return np.where(x < x.mean(), -1, 1).astype(np.int8)
    raise ValueError(f"cutoff must be one of {CUTOFFS}, got {cutoff!r}")


def generate_lattices(model, n_samples: int, seed: int, settings: SamplingSettings, cutoff: str = "sign",
                      device=None):
    """Sample a trained lattice model (score_model.ScoreModel) with the adaptive PF-ODE, then
    discretise. Returns (int8 lattices (n, L, L), score evaluations per sample (n,), summary of
    the continuous values: mean, std, mean |x|)."""
    L, s = tuple(model.net.state_shape[1:]), settings
    with torch.no_grad():
        x, nfe = probability_flow_samples(model.sde, model, L, n_samples, seed, s.eps, s.rtol, s.atol, s.denoise,
                                          s.batch_size, device=device, step_control=s.step_control)
    stats = {"x_mean": float(np.mean(x)), "x_std": float(np.std(x)), "x_abs_mean": float(np.mean(np.abs(x)))}
    return discretize(x, cutoff, derive_seed(seed, "discretize")), nfe, stats


def sample_checkpoints(models: dict, n_samples: int, settings: SamplingSettings, cutoff: str, seed: int,
                       device=None, keys: dict | None = None, log: logging.Logger | None = None):
    """Sample every checkpoint {iteration: model} with the same per-sample prior draws (seed), then
    discretise with `cutoff`. Returns (arrays for the .npz: iters (k,), lattices int8 (k, n, L, L),
    score_evals (k, n), x_mean / x_std / x_abs_mean (k,); tidy observable rows with `keys` and the
    iteration)."""
    iters, lattices, evals, stats, frames = [], [], [], [], []
    for it in sorted(models):
        lat, nfe, st = generate_lattices(models[it], n_samples, seed, settings, cutoff, device)
        curves = observables(lat)
        curves["score_evals"] = (np.zeros(1), np.array([nfe.mean()]))
        frames.append(observable_rows(curves, **(keys or {}), iteration=int(it)))
        iters.append(int(it))
        lattices.append(lat)
        evals.append(nfe)
        stats.append(st)
        if log:
            log.info("iteration %d: %.0f score evaluations per lattice; continuous x: mean %.3g, std %.3g; "
                     "generated <E>/N %.4f, <|m|> %.4f", it, nfe.mean(), st["x_mean"], st["x_std"],
                     curves["energy"][1][0], curves["absm"][1][0])
    arrays = {"iters": np.array(iters), "lattices": np.stack(lattices), "score_evals": np.stack(evals)}
    for key in ("x_mean", "x_std", "x_abs_mean"):
        arrays[key] = np.array([st[key] for st in stats])
    return arrays, pd.concat(frames, ignore_index=True)


def require_validated(path, log: logging.Logger | None = None) -> dict:
    """Read a validation.json of the data rule; warn (in the log) if it records a failed check,
    which only happens with ising.on_validation_failure = record."""
    try:
        report = json.loads(Path(path).read_text())
        passed = bool(report["passed"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a validation report of the Ising data rule ({err})") from None
    if not passed and log:
        log.warning("%s: these lattices FAILED the check against the exact values; used anyway "
                    "(ising.on_validation_failure = record)", path)
    return report


# -- observables ------------------------------------------------------------------------------

def histogram_edges(L: int, observable: str) -> np.ndarray:
    """Fixed bin edges (the same for data and every model): E/N takes values 4/N apart and |m|
    values 2/N apart (N = L^2); each bin holds a whole number of levels, edges between levels."""
    N = L * L
    if observable == "energy_hist":
        step = 4.0 / N * max(1, int(np.ceil(0.02 / (4.0 / N))))
        return np.arange(-2.0 - 2.0 / N, 2.0 + step, step)
    if observable == "absm_hist":
        step = 2.0 / N * max(1, int(np.ceil(0.02 / (2.0 / N))))
        return np.arange(-1.0 / N, 1.0 + step, step)
    raise ValueError(f"no histogram for {observable!r}")


def observables(lattices: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Curves (x, value) of one set of +-1 lattices: M(n), C(r), histogram densities of E/N and
    |m| at bin centres; scalars energy and absm as (x = [0], value = [mean])."""
    lat = validate_lattices(np.asarray(lattices))
    L = lat.shape[1]
    e, m = energy_per_spin(lat), abs_magnetization(lat)
    out = {"M": (np.arange(1, L + 1, dtype=float), coarse_grained_magnetization(lat).mean(axis=0))}
    r, c = two_point_correlation(lat)
    out["C"] = (r.astype(float), c)
    for name, values in (("energy_hist", e), ("absm_hist", m)):
        edges = histogram_edges(L, name)
        density, _ = np.histogram(values, bins=edges, density=True)
        out[name] = (0.5 * (edges[1:] + edges[:-1]), density)
    out["energy"] = (np.zeros(1), np.array([e.mean()]))
    out["absm"] = (np.zeros(1), np.array([m.mean()]))
    return out


def observable_rows(curves: dict, **keys) -> pd.DataFrame:
    """Tidy rows (keys..., observable, x, value) of observables()."""
    frames = [pd.DataFrame({**keys, "observable": name, "x": x, "value": v}) for name, (x, v) in curves.items()]
    return pd.concat(frames, ignore_index=True)


def data_rows(lattices: np.ndarray, T: float) -> pd.DataFrame:
    """The data's observables with standard errors over lattices (M(n), E/N, |m|), as rows of
    the summary table (sde = "data")."""
    lat = validate_lattices(np.asarray(lattices))
    rows = observable_rows(observables(lat), T=float(T), sde="data", iteration=0)
    rows = rows.rename(columns={"value": "mean"})
    rows["stderr"] = 0.0
    rows["n_seeds"] = 0
    n = lat.shape[0]
    per_config = {"M": coarse_grained_magnetization(lat), "energy": energy_per_spin(lat)[:, None],
                  "absm": abs_magnetization(lat)[:, None]}
    for name, values in per_config.items():
        rows.loc[rows["observable"] == name, "stderr"] = values.std(axis=0, ddof=1) / np.sqrt(n)
    return rows


def summarize(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error over training seeds of every (T, sde, iteration, observable, x)."""
    keys = ["T", "sde", "iteration", "observable", "x"]
    g = per_seed.groupby(keys, sort=True)["value"]
    out = g.agg(mean="mean", n_seeds="count").reset_index()
    std = g.std(ddof=1).reset_index(drop=True)
    out["stderr"] = (std / np.sqrt(out["n_seeds"])).fillna(0.0)
    return out[keys + ["mean", "stderr", "n_seeds"]]


def curve_distances(per_seed: pd.DataFrame, data: pd.DataFrame, observable: str = "M") -> pd.DataFrame:
    """Per (T, sde, seed, iteration): RMS over x of (model curve - data curve), e.g.
    D = sqrt(mean_n (M_model(n) - M_data(n))^2)."""
    ref = data[data["observable"] == observable][["T", "x", "mean"]].rename(columns={"mean": "ref"})
    model = per_seed[per_seed["observable"] == observable].merge(ref, on=["T", "x"], how="left")
    if model["ref"].isna().any():
        missing = sorted(model.loc[model["ref"].isna(), "T"].unique())
        raise ValueError(f"curve_distances: no data {observable} curve at T = {missing}")
    model["sq"] = (model["value"] - model["ref"]) ** 2
    d = model.groupby(["T", "sde", "seed", "iteration"])["sq"].mean().pow(0.5)
    return d.rename("distance").reset_index()


def paired_difference(distances: pd.DataFrame, T: float, iteration: int, worse: str, better: str):
    """(mean, standard error, per-seed Series) over seeds of D(worse) - D(better) at one
    checkpoint (the processes of a seed share the training data stream: paired), or None."""
    sub = distances[(distances["T"] == T) & (distances["iteration"] == iteration)]
    table = sub.pivot(index="seed", columns="sde", values="distance")
    if not {worse, better} <= set(table.columns):
        return None
    diff = (table[worse] - table[better]).dropna()
    if diff.empty:
        return None
    stderr = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    return float(diff.mean()), float(stderr), diff


def fidelity_rows(distances: pd.DataFrame, sdes, settings: ClaimSettings) -> list[dict]:
    """Claims of Fig 4 / A7, from the M(n) distances to the data D (curve_distances) paired over
    training seeds (dof = seeds - 1):
    - at the first checkpoint (paper: 100 iterations) active / CLD closer to the data than
      passive, gap = D(passive) - D(other) > 0 (superiority), per temperature;
    - less so at the higher temperature: gap(lowest T) - gap(highest T) > 0 (needs two
      temperatures; otherwise "not measured here");
    - comparable after training (paper: 3,000 iterations): |gap at the last checkpoint| below the
      margin (equivalence)."""
    rows = []
    iterations = sorted(distances["iteration"].unique())
    first, last = int(iterations[0]), int(iterations[-1])
    temperatures = sorted(distances["T"].unique())
    for other in [s for s in sdes if s != "passive"]:
        name = SDE_NAMES[other]
        early = {}
        for T in temperatures:
            gap = paired_difference(distances, T, first, "passive", other)
            if gap is None or len(gap[2]) < 2:
                continue
            early[T] = gap[2]
            rows.append(superiority_row(f"{name} M(n) closer to the data than passive early in training", "fig4",
                                        f"T={T:g}, {first} iterations, {len(gap[2])} seeds",
                                        f"D(passive) - D({other}), D = RMS over n of M(n) - M_data(n)",
                                        from_replicates(gap[2]), settings))
            late = paired_difference(distances, T, last, "passive", other)
            if late is not None and last != first and len(late[2]) > 1:
                rows.append(equivalence_row(f"passive and {name} comparable after training", "figA7",
                                            f"T={T:g}, {last} iterations, {len(late[2])} seeds",
                                            f"D(passive) - D({other})", from_replicates(late[2]),
                                            settings.ising_margin, settings))
        claim = f"{name}'s early advantage larger at the lower temperature"
        if len(early) >= 2:
            lo, hi = min(early), max(early)
            rows.append(superiority_row(claim, "fig4/figA7", f"T={lo:g} vs T={hi:g}, {first} iterations",
                                        f"gap(T={lo:g}) - gap(T={hi:g}), gap = D(passive) - D({other})",
                                        from_replicates(early[lo]).minus(from_replicates(early[hi])), settings))
        else:
            rows.append(unmeasured_row(claim, "fig4/figA7", f"the config trains {len(temperatures)} temperature(s) "
                                       f"({', '.join(f'{T:g}' for T in temperatures)}); the claim needs two"))
    return rows
