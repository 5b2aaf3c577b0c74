"""Metropolis generator: output contract, determinism, every route against Kaufman's exact <E>/N,
and the bad-input checks of lattice files."""

import hashlib

import numpy as np
import pytest

from activediff.io import InputError, save_npz
from activediff.ising.exact import exact_energy_per_spin
from activediff.ising.mcmc import generate, load_lattices, load_samples, sample, validate_lattices
from activediff.ising.observables import energy_per_spin
from activediff.ising.validation import validate_samples


def _digest(a):
    return hashlib.sha256(a.tobytes()).hexdigest()


def _z_energy(lattices, T):
    e = energy_per_spin(lattices)  # samples of these tests are (nearly) independent
    return (e.mean() - exact_energy_per_spin(T, lattices.shape[1])) / (e.std() / np.sqrt(e.size))


def test_output_contract():
    g = generate(8, 2.0, 150, seed=1, chains=64, burn_in_sweeps=5, thinning_sweeps=2)
    assert g.lattices.dtype == np.int8 and g.lattices.shape == (150, 8, 8)
    assert set(np.unique(g.lattices)) <= {-1, 1}
    # record-major order: sample k is chain k % 64 at record k // 64
    assert np.array_equal(g.chain, np.arange(150) % 64)
    assert np.array_equal(g.attempts, (5 + (np.arange(150) // 64) * 2) * 64)
    assert sample(8, 2.0, 10, seed=1, chains=4, burn_in_sweeps=0, init="ordered").shape == (10, 8, 8)


def test_same_bytes_for_same_seed_any_thread_count():
    kw = dict(chains=130, burn_in_sweeps=20, thinning_sweeps=3)  # 130 chains: a partly filled word
    a = sample(16, 2.25, 400, seed=5, threads=1, **kw)
    b = sample(16, 2.25, 400, seed=5, threads=2, **kw)
    c = sample(16, 2.25, 400, seed=6, threads=2, **kw)
    assert _digest(a) == _digest(b) != _digest(c)
    p1 = sample(8, 2.0, 20, seed=5, method="paper", paper_flips=500, threads=1)
    p2 = sample(8, 2.0, 20, seed=5, method="paper", paper_flips=500, threads=2)
    assert _digest(p1) == _digest(p2)
    t1 = sample(8, 2.0, 20, seed=5, backend="torch", device="cpu", chains=10, burn_in_sweeps=3)
    t2 = sample(8, 2.0, 20, seed=5, backend="torch", device="cpu", chains=10, burn_in_sweeps=3)
    assert _digest(t1) == _digest(t2)


def test_starts():
    cold = sample(8, 1.5, 64, seed=2, chains=64, burn_in_sweeps=0, init="ordered")
    assert np.all(np.abs(cold.sum(axis=(1, 2))) == 64)  # each chain all +1 or all -1
    assert 0 < (cold[:, 0, 0] > 0).sum() < 64
    hot = sample(8, 1.5, 64, seed=2, chains=64, burn_in_sweeps=0, init="random")
    assert abs(hot.mean()) < 0.1


@pytest.mark.parametrize("T", [1.5, 2.25, 3.0])
def test_multispin_checkerboard_matches_exact_energy(T):
    g = generate(8, T, 6000, seed=3, chains=2000, burn_in_sweeps=300, thinning_sweeps=20)
    report = validate_samples(g, T)
    assert report["passed"], report["tests"]


def test_multispin_l32_matches_tabulated_energy():
    g = generate(32, 2.0, 4000, seed=4, chains=1000, burn_in_sweeps=500, thinning_sweeps=20)
    report = validate_samples(g, 2.0)
    assert report["passed"], report["tests"]
    assert report["energy_per_spin"]["exact"] == pytest.approx(-1.7455645270, abs=1e-9)
    assert report["abs_magnetization"]["mean"] == pytest.approx(0.911, abs=0.01)


@pytest.mark.parametrize("T", [2.0, 3.0])
def test_paper_protocol_random_site(T):
    # 30,000 attempts (470 sweeps) at L = 8 equilibrate; each sample is its own chain
    lat = sample(8, T, 2000, seed=8, method="paper", paper_flips=30_000)
    assert abs(_z_energy(lat, T)) < 4


def test_torch_route_on_cpu_tensors():
    g = generate(8, 2.25, 2000, seed=9, backend="torch", device="cpu", chains=500, burn_in_sweeps=200,
                 thinning_sweeps=10, threads=1)
    report = validate_samples(g, 2.25)
    assert report["passed"], report["tests"]
    lat = sample(6, 3.0, 300, seed=9, method="paper", backend="torch", device="cpu", paper_flips=4000, threads=1)
    assert abs(_z_energy(lat, 3.0)) < 4


def test_argument_checks():
    with pytest.raises(ValueError, match="even"):
        sample(7, 2.0, 10, seed=1)
    with pytest.raises(ValueError, match="method"):
        sample(8, 2.0, 10, seed=1, method="wolff")
    with pytest.raises(ValueError, match="temperature"):
        sample(8, 0.0, 10, seed=1)


def test_bad_lattice_files(tmp_path):
    good = np.ones((3, 4, 4), dtype=np.int8)
    assert validate_lattices(good, 4) is good
    cases = {
        "values.npz": (np.where(good > 0, 2, 1).astype(np.int8), "value(s) other than +-1"),
        "shape.npz": (np.ones((3, 4, 5), dtype=np.int8), "shape (3, 4, 5)"),
        "size.npz": (np.ones((3, 8, 8), dtype=np.int8), "shape (3, 8, 8)"),
        "nan.npz": (np.where(good > 0, np.nan, 1.0), "NaN"),
        "dtype.npz": (good.astype(np.float32), "dtype float32"),
    }
    for name, (array, phrase) in cases.items():
        save_npz(tmp_path / name, lattices=array)
        with pytest.raises(InputError) as err:
            load_lattices(tmp_path / name, L=4)
        assert str(tmp_path / name) in str(err.value) and phrase in str(err.value)
        assert "int8 array of shape (n, 4, 4) with values -1 and +1" in str(err.value)
    save_npz(tmp_path / "nokey.npz", spins=good)
    with pytest.raises(InputError, match="missing array"):
        load_lattices(tmp_path / "nokey.npz")
    save_npz(tmp_path / "meta.npz", lattices=good, chain=np.arange(2), attempts=np.zeros(3, dtype=np.int64))
    with pytest.raises(InputError, match="'chain'"):
        load_samples(tmp_path / "meta.npz")
