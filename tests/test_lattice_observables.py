"""Lattice observables against brute-force loops on small lattices; tau_int on processes with a known answer."""

import numpy as np
import pytest

from activediff.ising.observables import (
    abs_magnetization,
    autocorrelation,
    coarse_grained_magnetization,
    effective_sample_size,
    energy_per_spin,
    integrated_autocorr_time,
    magnetization,
    two_point_correlation,
)


@pytest.fixture(scope="module")
def lattices():
    rng = np.random.default_rng(7)
    lat = (2 * rng.integers(0, 2, size=(6, 5, 5)) - 1).astype(np.int8)
    lat[0] = 1  # a ground state
    lat[1, :, :2] = -1  # a biased one
    return lat


def test_energy_and_magnetization_by_loops(lattices):
    L = lattices.shape[1]
    for s, e, m in zip(lattices, energy_per_spin(lattices), magnetization(lattices)):
        bonds = sum(int(s[i, j]) * (s[(i + 1) % L, j] + s[i, (j + 1) % L]) for i in range(L) for j in range(L))
        assert e == pytest.approx(-bonds / L ** 2)
        assert m == pytest.approx(s.sum() / L ** 2)
    assert energy_per_spin(lattices[0])[0] == -2.0
    assert np.all(abs_magnetization(lattices) == np.abs(magnetization(lattices)))


def test_coarse_grained_magnetization_by_loops(lattices):
    L = lattices.shape[1]
    got = coarse_grained_magnetization(lattices, chunk=4)  # chunk smaller than the batch: two blocks
    for k, s in enumerate(lattices):
        for n in range(1, L + 1):
            boxes = [abs(sum(s[(i + a) % L, (j + b) % L] for a in range(n) for b in range(n))) / n ** 2
                     for i in range(L) for j in range(L)]
            assert got[k, n - 1] == pytest.approx(np.mean(boxes), abs=1e-12)
    assert np.allclose(got[:, 0], 1.0)
    assert np.allclose(got[:, -1], abs_magnetization(lattices))
    assert np.allclose(coarse_grained_magnetization(lattices, sizes=[2, 4]), got[:, [1, 3]])


def test_two_point_correlation_by_loops():
    rng = np.random.default_rng(3)
    lat = (2 * rng.integers(0, 2, size=(4, 6, 6)) - 1).astype(np.int8)
    lat[:, 0, :] = 1
    L = 6
    sums, counts = {}, {}
    for s in lat:
        for i in range(L):
            for j in range(L):
                for dx in range(L):
                    for dy in range(L):
                        r = int(np.rint(np.hypot(min(dx, L - dx), min(dy, L - dy))))
                        sums[r] = sums.get(r, 0) + int(s[i, j]) * int(s[(i + dx) % L, (j + dy) % L])
                        counts[r] = counts.get(r, 0) + 1
    mean = lat.mean()
    r, corr = two_point_correlation(lat)
    assert list(r) == [0, 1, 2, 3]
    for k in r:
        assert corr[k] == pytest.approx(sums[k] / counts[k] - mean ** 2, abs=1e-12)


def test_autocorrelation_of_iid_and_ar1():
    rng = np.random.default_rng(11)
    iid = rng.normal(size=(50, 2000))
    tau, window = integrated_autocorr_time(iid)
    assert abs(tau - 1.0) < 0.05 and window >= 1
    assert effective_sample_size(iid) == pytest.approx(iid.size / max(tau, 1.0))
    # AR(1) x_t = phi x_{t-1} + noise: rho(t) = phi^t, tau = (1 + phi) / (1 - phi) = 9
    phi = 0.8
    x = np.zeros((50, 4000))
    x[:, 0] = rng.normal(size=50) / np.sqrt(1 - phi ** 2)
    noise = rng.normal(size=x.shape)
    for t in range(1, x.shape[1]):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    tau, window = integrated_autocorr_time(x)
    assert tau == pytest.approx(9.0, rel=0.1)
    assert window >= 5 * tau
    rho = autocorrelation(x)
    assert rho[0] == 1.0 and rho[1] == pytest.approx(phi, abs=0.02) and rho[3] == pytest.approx(phi ** 3, abs=0.03)


def test_autocorrelation_edge_cases():
    assert integrated_autocorr_time(np.ones((3, 10)))[0] == 1.0  # constant: no fluctuation to correlate
    assert integrated_autocorr_time(np.arange(5.0)[:, None]) == (1.0, 0)  # one sample per chain
    assert effective_sample_size(np.arange(5.0)[:, None]) == 5.0


def test_rejects_non_square():
    with pytest.raises(ValueError, match="shape"):
        energy_per_spin(np.ones((2, 3, 4), dtype=np.int8))
