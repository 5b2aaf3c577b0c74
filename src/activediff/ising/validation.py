"""Check Monte Carlo Ising lattices against exact finite-lattice values before anything uses them.

Tests, each a z-score against a limit (default 4 standard errors; errors from the effective sample
size, ESS = n / tau_int, tau_int from Sokal's window over the per-chain series):

- energy_mean: <E>/N against Kaufman's exact value at the same L and T;
- energy_variance: Var(E)/N (heat capacity * T^2) against the exact -d<E>/dK;
- chain_independence: the connected overlap of the local bond-energy fields
  e_i = -s_i (s_{i+x} + s_{i+y}) of chains a = 2k and b = 2k + 1 recorded at the same time,
  q = (1/N) sum_i (e_i^a - mean e^a)(e_i^b - mean e^b), has mean exactly 0 for independent chains
  (translation invariance). Chains that share random numbers (e.g. one uniform for all 64
  bit-packed chains) excite the same sites together: q > 0 at tens of standard errors even when
  <E> is right. (The spin overlap misses this below T_c: its sign follows m_a m_b.)

Reported without a test (no exact finite-L reference): <|m|> with Onsager's infinite-lattice
spontaneous magnetisation beside it, tau_int and ESS, the energy histogram, M(n) and C(r).
"""

from __future__ import annotations

import numpy as np

from activediff.ising.exact import (
    CRITICAL_TEMPERATURE,
    exact_energy_per_spin,
    exact_energy_variance_per_spin,
    spontaneous_magnetization,
)
from activediff.ising.mcmc import IsingSamples
from activediff.ising.observables import (
    abs_magnetization,
    coarse_grained_magnetization,
    energy_per_spin,
    integrated_autocorr_time,
    two_point_correlation,
)


class IsingValidationError(RuntimeError):
    """The Monte Carlo data disagree with the exact reference."""


def chain_matrix(values: np.ndarray, chain: np.ndarray, attempts: np.ndarray) -> np.ndarray:
    """Per-chain time series (n_chains, n_records) of `values`, in time order; chains with more
    records than the shortest one are cut to the common length (used for tau_int only)."""
    order = np.lexsort((attempts, chain))
    ids, counts = np.unique(chain, return_counts=True)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    length = counts.min()
    return values[order][starts[:, None] + np.arange(length)[None, :]]


def _mean_with_error(values, chain, attempts, window_factor):
    series = chain_matrix(values, chain, attempts)
    tau, window = integrated_autocorr_time(series, window_factor)
    ess = values.size / max(tau, 1.0)
    return {"mean": float(values.mean()), "std": float(values.std()),
            "stderr": float(values.std() / np.sqrt(ess)), "tau_int": tau, "window": window,
            "ess": float(ess), "records_per_chain": int(series.shape[1])}


def _z_test(name, estimate, stderr, reference, limit, what):
    """z = (estimate - reference) / stderr against |z| <= limit. Without spread (stderr 0) the
    estimate passes only if it is the reference, and z is None (JSON null: no number, not inf)."""
    z = (estimate - reference) / stderr if stderr > 0 else (0.0 if estimate == reference else None)
    passed = z is not None and bool(abs(z) <= limit)
    out = {"name": name, "estimate": float(estimate), "stderr": float(stderr), "reference": float(reference),
           "z": None if z is None else float(z), "limit": float(limit), "passed": passed}
    if not passed:
        far = "with no spread (stderr 0)" if z is None else f"{abs(z):.1f} standard errors (limit {limit:g})"
        out["message"] = f"{what} = {estimate:.6g} +- {stderr:.2g} but the reference is {reference:.6g}: {far}"
    return out


def _local_energy(lattices: np.ndarray) -> np.ndarray:
    s = lattices.astype(np.int8)
    e = -(s * np.roll(s, -1, axis=1) + s * np.roll(s, -1, axis=2)).astype(np.float64)
    return e.reshape(len(s), -1)


def chain_overlaps(samples: IsingSamples) -> np.ndarray:
    """Per pair (chains 2k, 2k+1): mean over common records of the connected local-energy overlap."""
    lat, chain, attempts = samples.lattices, samples.chain, samples.attempts
    pairs = []
    for a in np.unique(chain)[0::2]:
        ia = np.flatnonzero(chain == a)
        ib = np.flatnonzero(chain == a + 1)
        common, ka, kb = np.intersect1d(attempts[ia], attempts[ib], return_indices=True)
        if common.size == 0:
            continue
        ea, eb = _local_energy(lat[ia[ka]]), _local_energy(lat[ib[kb]])
        ea -= ea.mean(axis=1, keepdims=True)
        eb -= eb.mean(axis=1, keepdims=True)
        pairs.append((ea * eb).mean(axis=1).mean())
    return np.asarray(pairs)


def validate_samples(samples: IsingSamples, T: float, sigma: float = 4.0, window_factor: float = 5.0,
                     min_pairs: int = 8) -> dict:
    """Report (a JSON-able dict) of every check; report['passed'] is False if any test failed."""
    lat = samples.lattices
    L = lat.shape[1]
    n = L * L
    energy = energy_per_spin(lat)
    absm = abs_magnetization(lat)
    ch, att = samples.chain, samples.attempts
    e_stats = _mean_with_error(energy, ch, att, window_factor)
    dev2 = (energy - energy.mean()) ** 2 * n  # per-sample contribution to Var(E)/N
    v_stats = _mean_with_error(dev2, ch, att, window_factor)
    m_stats = _mean_with_error(absm, ch, att, window_factor)
    exact_e = exact_energy_per_spin(T, L)
    exact_v = exact_energy_variance_per_spin(T, L)
    tests = [
        _z_test("energy_mean", e_stats["mean"], e_stats["stderr"], exact_e, sigma, "<E>/N"),
        _z_test("energy_variance", v_stats["mean"], v_stats["stderr"], exact_v, sigma, "Var(E)/N"),
    ]
    overlaps = chain_overlaps(samples)
    if overlaps.size >= min_pairs:
        tests.append(_z_test("chain_independence", overlaps.mean(), overlaps.std(ddof=1) / np.sqrt(overlaps.size),
                             0.0, sigma, "local-energy overlap of chains 2k, 2k+1"))
    levels, counts = np.unique(np.rint(energy * n).astype(np.int64), return_counts=True)
    m_n = coarse_grained_magnetization(lat)
    r, corr = two_point_correlation(lat)
    report = {
        "T": float(T), "L": int(L), "n_samples": int(lat.shape[0]), "n_chains": int(np.unique(ch).size),
        "critical_temperature": CRITICAL_TEMPERATURE,
        "energy_per_spin": dict(e_stats, exact=exact_e),
        "energy_variance_per_spin": dict(v_stats, exact=exact_v),
        "abs_magnetization": dict(m_stats, onsager_infinite_lattice=spontaneous_magnetization(T)),
        "chain_overlap": {"n_pairs": int(overlaps.size),
                          "mean": float(overlaps.mean()) if overlaps.size else None},
        "energy_histogram": {"total_energy": levels.tolist(), "count": counts.tolist()},
        # M(n) errors use the tau_int of |m| for every n (M(n) tends to <|m|> for large n)
        "coarse_grained_magnetization": {"n": list(range(1, L + 1)), "mean": m_n.mean(axis=0).tolist(),
                                         "stderr": (m_n.std(axis=0) * np.sqrt(max(m_stats["tau_int"], 1.0)
                                                                              / lat.shape[0])).tolist()},
        "correlation": {"r": r.tolist(), "C": corr.tolist()},
        "tests": tests,
        "sigma_limit": float(sigma),
        "passed": all(t["passed"] for t in tests),
    }
    return report


def failure_message(report: dict, source: str) -> str:
    failed = [t["message"] for t in report["tests"] if not t["passed"]]
    return (f"{source}: Ising data at T = {report['T']:g}, L = {report['L']} fail validation: "
            + "; ".join(failed)
            + ". Typical causes: burn-in too short or stripe states from a hot start below T_c, "
              "data drawn at another temperature, or chains that share random numbers.")


def require_passed(report: dict, source: str) -> None:
    if not report["passed"]:
        raise IsingValidationError(failure_message(report, source))
