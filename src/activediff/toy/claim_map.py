"""The claim map (docs/theory.md 10): where, over sampling conventions and process parameters, the
active process samples a toy set better than the passive one, with exact mixture scores.

A cell is one sampling condition (physical step dt, stopping time eps, final denoising; eps 0 is
the authors' analytic grid, eps > 0 their network grid) for one active variant (k, tau, eta0; Tp
and Ta of processes.active) against one passive comparison process with the same k:

- `paper`: T = Tp + Ta, the paper's comparison (the small-tau limit of the active process);
- `temperature_matched`: T = k Sigma_inf[0, 0] = Tp + Ta / (1 + k tau), the passive process whose
  stationary x variance equals the active one (0.8 for the defaults), so that "active beats
  passive" is told apart from "active is colder".

Per cell: KL(passive) - KL(active) (> 0: active closer to the data) and the same difference of
the other metrics (passive minus active for every metric: for the Bhattacharyya coefficient, a
similarity, > 0 means passive better), with a Welch t test over the metric chunks, and the
Euler-Maruyama amplification of both processes (stability.em_amplification: > 1 flags a step the
sampler cannot take). Every condition has one seed: every process sampled under it draws its
per-sample streams from the same seeds, so a passive run serves every variant that compares
against it. The pairing is nominal (a passive state has one channel, an active one two, so their
streams do not line up step by step), and the test treats the two processes as independent.

Speed: the map samples 16 processes over 25 conditions in the default config, so the
Euler-Maruyama loop runs here in numpy on precomputed per-time mixture quantities
(`em_samples`). It keeps the library's conventions exactly: the time grid is
samplers.reverse_time_grid, the per-sample noise streams and batching are
samplers.generate_samples, the per-time mixture terms are scores.prepare; tests/test_claim_map.py
checks it against samplers.reverse_em_samples with scores.exact_score_fn, and
`grid_amplification` against stability.em_amplification.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
import torch
from scipy import stats

from activediff.diffusion.samplers import generate_samples, reverse_time_grid
from activediff.diffusion.scores import GaussianMixture, prepare
from activediff.diffusion.sde import LinearSDE, make_sde
from activediff.evaluation.metrics import evaluate
from activediff.seeding import derive_seed
from activediff.toy import data as toy

DESIGNS = ("cross", "full")
COMPARISONS = ("paper", "temperature_matched")
METRICS = ("kl", "bhattacharyya", "sliced_w2", "mmd2")
#: Amplification above 1 by less than this is rounding, not instability (as rule sample_metrics).
STABLE_TOLERANCE = 1e-9
UNTESTABLE = ("t", "p_value")  # a cell whose KL difference has no spread (both se 0) has no t test


@dataclass(frozen=True)
class Condition:
    """One sampling convention: physical step, stopping time eps (code time), final denoising."""

    dt_physical: float
    eps: float
    denoise: bool

    @property
    def grid(self) -> str:
        return "authors_analytic" if self.eps == 0 else "authors_nn"

    @property
    def label(self) -> str:
        if self.eps == 0:
            return "analytic grid (eps 0)"
        return f"nn grid, eps {self.eps:g}" + (", denoised" if self.denoise else "")


@dataclass(frozen=True)
class Variant:
    """One active process of the map (Tp and Ta come from processes.active)."""

    k: float
    tau: float
    eta0: str

    @property
    def name(self) -> str:
        return f"k{self.k:g}_tau{self.tau:g}_{self.eta0}"


@dataclass(frozen=True)
class ClaimMapSettings:
    """The config section `claim_map` (workflow/schemas/config.schema.yaml), typed."""

    enabled: bool
    dataset: str
    design: str
    dt_physical: tuple[float, ...]
    eps: tuple[float, ...]
    denoise: tuple[bool, ...]
    tau: tuple[float, ...]
    k: tuple[float, ...]
    eta0: tuple[str, ...]
    centre: Variant
    alpha: float = 0.05
    batch_size: int = 2560

    def __post_init__(self):
        if self.design not in DESIGNS:
            raise ValueError(f"claim_map.design must be one of {DESIGNS}, got {self.design!r}")
        if min(self.eps) < 0 or min(self.dt_physical) <= 0:
            raise ValueError(f"claim_map: need eps >= 0 and dt_physical > 0, got {self.eps}, {self.dt_physical}")

    @classmethod
    def from_config(cls, section: Mapping) -> "ClaimMapSettings":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - names)
        if unknown:
            raise ValueError(f"claim_map: unknown key(s) {unknown}; expected some of {sorted(names)}")
        values = dict(section)
        for key in ("dt_physical", "eps", "tau", "k"):
            values[key] = tuple(float(v) for v in values[key])
        values["denoise"] = tuple(bool(v) for v in values["denoise"])
        values["eta0"] = tuple(values["eta0"])
        c = values["centre"]
        values["centre"] = Variant(float(c["k"]), float(c["tau"]), str(c["eta0"]))
        return cls(**values)


def conditions(settings: ClaimMapSettings) -> list[Condition]:
    """dt x eps x denoise, without the eps 0 + denoising cells (no-op: the analytic grid ends at 0)."""
    return [Condition(dt, eps, den) for dt in settings.dt_physical for eps in settings.eps
            for den in settings.denoise if not (eps == 0 and den)]


def variants(settings: ClaimMapSettings) -> list[Variant]:
    """The active processes: the full factorial k x tau x eta0 (design full), or the centre plus
    each of tau, k, eta0 varied alone from it over its list (design cross)."""
    if settings.design == "full":
        return [Variant(k, tau, eta0) for k in settings.k for tau in settings.tau for eta0 in settings.eta0]
    c = settings.centre
    out = [c] + [dataclasses.replace(c, tau=tau) for tau in settings.tau]
    out += [dataclasses.replace(c, k=k) for k in settings.k] + [dataclasses.replace(c, eta0=e) for e in settings.eta0]
    return list(dict.fromkeys(out))


def matched_temperature(k: float, tau: float, Tp: float, Ta: float) -> float:
    """T of the passive process with the active stationary x variance: k Sigma_inf[0, 0]."""
    return Tp + Ta / (1 + k * tau)


def comparison_temperatures(variant: Variant, Tp: float, Ta: float) -> dict[str, float]:
    return {"paper": Tp + Ta, "temperature_matched": matched_temperature(variant.k, variant.tau, Tp, Ta)}


def passive_tag(k: float, T: float) -> str:
    return f"k{k:g}_T{T:.6g}"


def passive_runs(settings: ClaimMapSettings, Tp: float, Ta: float) -> dict[str, tuple[float, float]]:
    """{tag: (k, T)} of every passive process the variants compare against, each once."""
    runs = {}
    for v in variants(settings):
        for T in comparison_temperatures(v, Tp, Ta).values():
            tag = passive_tag(v.k, T)
            if tag in runs and not math.isclose(runs[tag][1], T, rel_tol=1e-12):
                raise ValueError(f"claim_map: passive temperatures {runs[tag][1]!r} and {T!r} share the tag {tag}")
            runs.setdefault(tag, (v.k, T))
    return runs


def condition_seed(base_seed: int, condition: Condition) -> int:
    """One seed per condition, shared by every process sampled under it (paired cells)."""
    return derive_seed(base_seed, f"{condition.dt_physical:g}", f"{condition.eps:g}", condition.denoise)


@dataclass(frozen=True)
class ClaimMapPlan:
    """What the workflow runs for one config (workflow/rules/claim_map.smk): the settings, the
    processes section (Tp, Ta of processes.active, beta, t_max) and each job's parameters."""

    settings: ClaimMapSettings
    processes: Mapping

    @classmethod
    def from_config(cls, config: Mapping) -> "ClaimMapPlan":
        return cls(ClaimMapSettings.from_config(config["claim_map"]), config["processes"])

    @property
    def variants(self) -> dict[str, Variant]:
        return {v.name: v for v in variants(self.settings)}

    @property
    def passive(self) -> dict[str, tuple[float, float]]:
        active = self.processes["active"]
        return passive_runs(self.settings, active["Tp"], active["Ta"])

    def condition_rows(self) -> list[list]:
        """The conditions as [dt_physical, eps, denoise] (Condition(*row))."""
        return [[c.dt_physical, c.eps, c.denoise] for c in conditions(self.settings)]

    def _time(self) -> dict:
        return dict(beta=self.processes["beta"], t_max=self.processes["t_max"])

    def active_params(self, name: str) -> dict:
        v = self.variants[name]
        return dict(self.processes["active"], k=v.k, tau=v.tau, eta0=v.eta0, **self._time())

    def passive_params(self, tag: str) -> dict:
        k, T = self.passive[tag]
        return dict(k=k, T=T, **self._time())

    def temperatures(self, name: str) -> dict[str, float]:
        active = self.processes["active"]
        return comparison_temperatures(self.variants[name], active["Tp"], active["Ta"])

    def passive_tag(self, name: str, comparison: str) -> str:
        return passive_tag(self.variants[name].k, self.temperatures(name)[comparison])


# --- sampling -----------------------------------------------------------------------------------


def _mixture_terms(mix: GaussianMixture, sde: LinearSDE, times: np.ndarray):
    """Per-time (log normaliser (T, K), means (T, K, m), precisions C^-1 (T, K, m, m)) of p_t."""
    log_norm, means, inv_chol = (a.numpy() for a in prepare(mix, sde, np.asarray(times, dtype=np.float64)))
    return log_norm, means, np.swapaxes(inv_chol, -1, -2) @ inv_chol


def _score(log_norm, means, prec, U):
    """Mixture score at one time on states U (m, N): sum_i r_i [-C_i^-1 (u - m_i)]."""
    diff = U[None] - means[:, :, None]  # (K, m, N)
    prec_diff = prec @ diff
    logits = log_norm[:, None] - 0.5 * np.einsum("kmn,kmn->kn", diff, prec_diff)
    logits -= logits.max(0)
    resp = np.exp(logits)
    resp /= resp.sum(0)
    return -np.einsum("kn,kmn->mn", resp, prec_diff)


def grid_amplification(sde: LinearSDE, mix: GaussianMixture, t_grid: np.ndarray, terms=None) -> float:
    """stability.em_amplification on the whole grid at once: the largest |1 + h lambda| over the
    contracting eigenvalues of beta (-A - D C_i^-1) at every step's score time."""
    prec = (terms or _mixture_terms(mix, sde, t_grid[:-1]))[2][: len(t_grid) - 1]
    eye = np.eye(mix.dim)
    A, D = np.kron(sde.drift_matrix, eye), np.kron(sde.diffusion_matrix, eye)
    beta = np.asarray(sde.beta(t_grid[:-1]), dtype=np.float64).reshape(-1, 1, 1, 1)
    lam = np.linalg.eigvals(beta * (-A - D @ prec))  # (T, K, m)
    h = (t_grid[:-1] - t_grid[1:]).reshape(-1, 1, 1)
    factor = np.where(lam.real < 0, np.abs(1 + h * lam), 0.0)
    return float(factor.max())


def em_samples(sde: LinearSDE, mix: GaussianMixture, condition: Condition, n_samples: int, seed: int,
               batch_size: int = 2560) -> tuple[np.ndarray, float]:
    """Euler-Maruyama with the exact mixture score under one condition (code step
    sde.code_step(dt_physical)): the x channel (n_samples, d) and the grid's em amplification.
    Same samples as samplers.reverse_em_samples(sde, exact_score_fn(mix, sde), ...)."""
    times = reverse_time_grid(sde.t_max, sde.code_step(condition.dt_physical), condition.grid, condition.eps,
                              condition.denoise)
    n_steps = len(times) - 1
    terms = _mixture_terms(mix, sde, times if condition.denoise else times[:-1])
    eye = np.eye(mix.dim)
    A, D = np.kron(sde.drift_matrix, eye), np.kron(sde.diffusion_matrix, eye)
    g = np.sqrt(np.diag(D))[:, None]
    beta = np.asarray(sde.beta(times), dtype=np.float64)
    m = A.shape[0]

    def run_batch(u0: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        U = u0.numpy().reshape(len(u0), m).T
        z = noise.numpy().reshape(n_steps, len(u0), m)
        with np.errstate(all="ignore"):  # unstable cells diverge; the metrics count them
            for i in range(n_steps):
                h = times[i] - times[i + 1]
                drift = beta[i] * (-(A @ U) + D @ _score(terms[0][i], terms[1][i], terms[2][i], U))
                U = U + drift * h + np.sqrt(beta[i]) * g * math.sqrt(h) * z[i].T
            if condition.denoise:
                drift = beta[-1] * (-(A @ U) + D @ _score(terms[0][-1], terms[1][-1], terms[2][-1], U))
                U = U + drift * times[-1]
        return torch.from_numpy(np.ascontiguousarray(U.T).reshape(u0.shape))

    x = generate_samples(sde, (mix.dim,), n_samples, seed, n_steps, run_batch, batch_size)
    return x, grid_amplification(sde, mix, times, terms)


def run_job(process: str, sde_params: Mapping, dataset: Mapping, data_path, conditions, metrics: Mapping, seed: int,
            metrics_seed: int, batch_size: int, log=None) -> pd.DataFrame:
    """What one claim-map job does for one process: its run_conditions table on the toy set's
    exact mixture against the validated data file."""
    params = dict(dataset)
    mixture = toy.mixture_for(params.pop("kind"), **params)
    sde = make_sde(process, **sde_params)
    start = time.process_time()
    rows = run_conditions(sde, mixture, toy.load_points(data_path), [Condition(*c) for c in conditions], metrics,
                          seed, metrics_seed, batch_size, log)
    if log:
        log.info("%s: %d conditions in %.1f CPU s", sde, len(rows), time.process_time() - start)
    return rows


def run_conditions(sde: LinearSDE, mix: GaussianMixture, data: np.ndarray, conds: list[Condition],
                   metrics: Mapping, base_seed: int, metrics_seed: int, batch_size: int = 2560,
                   log=None) -> pd.DataFrame:
    """One process under every condition: one row per condition with the metrics (mean and
    standard error over metrics.n_chunks chunks of metrics.n_eval samples) and em_amplification."""
    n_samples = int(metrics["n_eval"]) * int(metrics["n_chunks"])
    rows = []
    for c in conds:
        x, amp = em_samples(sde, mix, c, n_samples, condition_seed(base_seed, c), batch_size)
        result = evaluate(data, x, seed=metrics_seed, **metrics)
        rows.append(dict(dt_physical=c.dt_physical, eps=c.eps, denoise=c.denoise, grid=c.grid,
                         em_amplification=amp, **{key: result[key] for m in METRICS for key in (m, f"{m}_se")}))
        if log:
            log.info("%s %s: KL %.3f +- %.3f, amplification %.3f", sde, c, result["kl"], result["kl_se"], amp)
    return pd.DataFrame(rows)


def compare(passive: Mapping, active: Mapping, n_chunks: int) -> dict:
    """Passive minus active for every metric, with the standard error sqrt(se_p^2 + se_a^2)
    (the two share the data chunks, whose positive correlation this ignores: conservative),
    Welch-Satterthwaite degrees of freedom from n_chunks - 1 each, t and the two-sided p value
    for the KL difference."""
    out = {}
    for key in METRICS:
        out[f"{key}_passive"], out[f"{key}_passive_se"] = passive[key], passive[f"{key}_se"]
        out[f"{key}_active"], out[f"{key}_active_se"] = active[key], active[f"{key}_se"]
        out[f"{key}_diff"] = passive[key] - active[key]
        out[f"{key}_diff_se"] = math.hypot(passive[f"{key}_se"], active[f"{key}_se"])
    sp, sa, nu = passive["kl_se"], active["kl_se"], n_chunks - 1
    diff, se = out["kl_diff"], out["kl_diff_se"]
    dof = (sp**2 + sa**2) ** 2 / ((sp**4 + sa**4) / nu) if se > 0 else float(2 * nu)
    t = diff / se if se > 0 else float("nan")
    p = float(2 * stats.t.sf(abs(t), dof)) if np.isfinite(t) else float("nan")
    amp_p, amp_a = passive["em_amplification"], active["em_amplification"]
    out.update(diff=diff, diff_se=se, dof=dof, t=t, p_value=p, em_amplification_passive=amp_p,
               em_amplification_active=amp_a,
               em_stable=bool(max(amp_p, amp_a) <= 1 + STABLE_TOLERANCE))
    return out


def variant_table(variant: Variant, active_rows: pd.DataFrame, passive_rows: Mapping[str, pd.DataFrame],
                  temperatures: Mapping[str, float], n_chunks: int, beta: float) -> pd.DataFrame:
    """The tidy rows of one variant: one per (comparison, condition). active_rows and each of
    passive_rows (keyed by comparison, as temperatures) are run_conditions tables over the same
    conditions in the same order."""
    rows = []
    for comparison in COMPARISONS:
        passive = passive_rows[comparison]
        same = len(passive) == len(active_rows) and all(
            np.allclose(passive[key].to_numpy(float), active_rows[key].to_numpy(float), rtol=1e-9, atol=0)
            for key in ("dt_physical", "eps", "denoise"))
        if not same:
            raise ValueError(f"claim_map: {variant.name}: the passive rows of {comparison} have other conditions")
        for a, p in zip(active_rows.to_dict("records"), passive.to_dict("records")):
            rows.append(dict(variant=variant.name, comparison=comparison, dt_physical=a["dt_physical"],
                             dt_code=a["dt_physical"] / beta, grid=a["grid"], eps=a["eps"], denoise=bool(a["denoise"]),
                             tau=variant.tau, k=variant.k, eta0=variant.eta0, passive_T=temperatures[comparison],
                             **compare(p, a, n_chunks)))
    frame = pd.DataFrame(rows)
    return frame[FRONT + [c for c in frame.columns if c not in FRONT]]


#: The leading columns of the tidy table (the metric differences follow).
FRONT = ["variant", "comparison", "dt_physical", "dt_code", "grid", "eps", "denoise", "tau", "k", "eta0", "passive_T",
         "kl_passive", "kl_passive_se", "kl_active", "kl_active_se", "diff", "diff_se", "dof", "t", "p_value",
         "em_amplification_passive", "em_amplification_active", "em_stable"]
