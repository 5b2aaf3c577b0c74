"""The data validation passes on good Monte Carlo data and fails, with a clear message, on data at
another temperature, on equilibration defects and on chains that share random numbers."""

import json

import numpy as np
import pytest

from activediff.io import write_json
from activediff.ising.mcmc import IsingSamples, generate
from activediff.ising.validation import IsingValidationError, require_passed, validate_samples


@pytest.fixture(scope="module")
def good():
    return generate(8, 2.0, 4096, seed=1, chains=256, burn_in_sweeps=200, thinning_sweeps=5)


def _failed(report):
    return {t["name"] for t in report["tests"] if not t["passed"]}


def test_passes_on_good_data(good):
    report = validate_samples(good, 2.0)
    assert report["passed"] and _failed(report) == set()
    assert {t["name"] for t in report["tests"]} == {"energy_mean", "energy_variance", "chain_independence"}
    json.dumps(report)  # JSON-able as written by the rule
    assert sum(report["energy_histogram"]["count"]) == 4096
    m = report["coarse_grained_magnetization"]["mean"]
    assert m[0] == 1.0 and m[-1] == pytest.approx(report["abs_magnetization"]["mean"])
    assert report["energy_per_spin"]["ess"] <= 4096
    require_passed(report, "x.npz")


def test_fails_on_data_from_another_temperature(good):
    report = validate_samples(good, 2.1)
    assert not report["passed"] and "energy_mean" in _failed(report)
    with pytest.raises(IsingValidationError, match=r"lattices\.npz: Ising data at T = 2\.1, L = 8 fail"):
        require_passed(report, "lattices.npz")


def test_fails_on_unequilibrated_data():
    # hot start quenched to T = 1.5 with almost no burn-in: domains left, energy far too high
    bad = generate(8, 1.5, 2048, seed=2, chains=256, burn_in_sweeps=2, thinning_sweeps=1, init="random")
    assert "energy_mean" in _failed(validate_samples(bad, 1.5))


def _checkerboard_with_shared_uniforms(L, T, chains, n_records, burn_in, thinning, seed, share):
    """A plain numpy checkerboard Metropolis; with share=True chains 2k and 2k+1 use the same
    uniforms, the defect of a multi-spin code that draws one random number per word."""
    rng = np.random.default_rng(seed)
    s = (2 * rng.integers(0, 2, (chains, L, L)) - 1).astype(np.int8)
    parity = np.add.outer(np.arange(L), np.arange(L)) % 2
    out = []
    for sweep in range(burn_in + thinning * n_records):
        for p in (0, 1):
            field = np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2)
            u = rng.random((chains // 2 if share else chains, L, L))
            if share:
                u = np.repeat(u, 2, axis=0)
            flip = (u < np.exp(-2.0 * s * field / T)) & (parity == p)
            s = np.where(flip, -s, s).astype(np.int8)
        if sweep >= burn_in and (sweep - burn_in) % thinning == thinning - 1:
            out.append(s.copy())
    lattices = np.stack(out).reshape(-1, L, L)
    k = np.arange(len(lattices))
    return IsingSamples(lattices, (k % chains).astype(np.int32), (k // chains).astype(np.int64))


@pytest.mark.parametrize("share", [False, True])
def test_shared_random_numbers_are_caught(share):
    data = _checkerboard_with_shared_uniforms(8, 2.0, 64, 32, 200, 5, seed=3, share=share)
    report = validate_samples(data, 2.0)
    if share:
        # the energy is still right: only the independence check sees the coupling
        assert _failed(report) == {"chain_independence"}
        assert report["tests"][2]["z"] > 10
    else:
        assert report["passed"], report["tests"]


def test_frozen_lattices_fail_without_an_infinite_z(tmp_path):
    """All spins up at T = 2: every energy is -2 with no spread, so the energy test fails with z
    undefined (JSON null, not an infinity JSON cannot hold) and the report is still written."""
    lattices = np.ones((64, 8, 8), dtype=np.int8)
    k = np.arange(64)
    report = validate_samples(IsingSamples(lattices, (k % 16).astype(np.int32), (k // 16).astype(np.int64)), 2.0)
    energy = next(t for t in report["tests"] if t["name"] == "energy_mean")
    assert energy["stderr"] == 0 and energy["z"] is None and not energy["passed"] and not report["passed"]
    assert energy["message"].endswith("with no spread (stderr 0)")
    write_json(tmp_path / "validation.json", report)
    assert '"z": null' in (tmp_path / "validation.json").read_text()
