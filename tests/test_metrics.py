"""Metrics: limits and orderings that must hold, error bars, the authors' KDE conventions."""

import numpy as np
import pytest

from activediff.evaluation import metrics


def gaussian(n, mean, std, seed):
    return mean + std * np.random.default_rng(seed).standard_normal((n, 2))


def test_kde_metrics_identical_sets():
    x = gaussian(512, 0.0, 0.2, 0)
    kl, bc = metrics.kde_kl_bhattacharyya(x, x.copy())
    assert kl == pytest.approx(0.0, abs=1e-12) and bc == pytest.approx(1.0, abs=1e-4)


def test_kde_grid_density_is_the_brute_force_kde():
    """The separable grid evaluation equals the direct sum of Gaussian kernels."""
    pts = gaussian(20, 0.0, 0.3, 1)
    axes = [np.linspace(-1, 1, 7), np.linspace(-0.5, 0.8, 5)]
    grid = metrics._kde_on_grid(pts, axes, 0.1)
    X, Y = np.meshgrid(*axes, indexing="ij")
    brute = sum(np.exp(-((X - p[0]) ** 2 + (Y - p[1]) ** 2) / (2 * 0.01)) for p in pts)
    np.testing.assert_allclose(grid, brute, rtol=1e-12)


@pytest.mark.parametrize("case", ["inside", "off_grid", "wide_box"])
def test_tiled_kde_is_the_brute_force_kde_above_the_floor(case):
    """The tiled evaluation (each point reaches only the cells within CUTOFF bandwidths) against
    the direct double sum over points and cells: every cell the metrics keep (>= 1e-10 of the
    total) agrees to float64 round-off. Off-grid points (generated points beyond the data's box)
    and a box many bandwidths wide (many tiles) included."""
    h, rng = 0.01, np.random.default_rng(7)
    pts = {"inside": lambda: rng.normal(0, 0.05, (300, 2)),
           "off_grid": lambda: np.r_[rng.normal(0, 0.05, (300, 2)), rng.uniform(-1, 1, (60, 2)) + [0.2, 0.0]],
           "wide_box": lambda: rng.uniform(-0.8, 0.8, (400, 2))}[case]()
    axes = [np.linspace(-0.2, 0.25, 180), np.linspace(-0.22, 0.2, 170)]
    if case == "wide_box":
        axes = [np.linspace(-0.8, 0.8, 400), np.linspace(-0.8, 0.8, 380)]
    assert metrics._tiles_pay(axes, h)
    grid = metrics._kde_on_grid(pts, axes, h)
    X, Y = np.meshgrid(*axes, indexing="ij")
    brute = np.zeros_like(X)
    for p in pts:
        brute += np.exp(-((X - p[0]) ** 2 + (Y - p[1]) ** 2) / (2 * h * h))
    kept = brute / brute.sum() >= 1e-10
    np.testing.assert_allclose(grid[kept], brute[kept], rtol=1e-12)
    assert np.all(grid[~kept] <= brute[~kept] * (1 + 1e-12))  # only the < exp(-72) tails are left out


def test_metrics_order_by_distance():
    data = gaussian(2560, 0.0, 0.2, 1)
    near = gaussian(2560, 0.05, 0.2, 2)
    far = gaussian(2560, 0.5, 0.2, 3)
    m_near, m_far = metrics.evaluate(data, near), metrics.evaluate(data, far)
    assert m_near["kl"] < m_far["kl"]
    assert m_near["bhattacharyya"] > m_far["bhattacharyya"]
    assert m_near["sliced_w2"] < m_far["sliced_w2"]
    assert m_near["mmd2"] < m_far["mmd2"]
    assert all(m_near[k + "_se"] > 0 for k in ("kl", "bhattacharyya", "sliced_w2", "mmd2"))


def test_sliced_w2_of_a_shift_is_its_projected_length():
    """Shift by a vector v: the projected W2^2 averages (v.theta)^2 = |v|^2 / 2 over directions in 2D."""
    x = gaussian(4000, 0.0, 0.1, 4)
    v = np.array([0.3, 0.4])
    w = metrics.sliced_wasserstein2(x, x + v, n_projections=4000, seed=1)
    assert w == pytest.approx(0.5 / np.sqrt(2), rel=0.03)


def test_mmd_unbiased_near_zero_for_same_law():
    vals = [metrics.mmd2(gaussian(400, 0, 0.2, s), gaussian(400, 0, 0.2, s + 100)) for s in range(20)]
    assert abs(np.mean(vals)) < 4.5 * np.std(vals) / np.sqrt(len(vals))


def test_iqr_mask_drops_far_points():
    x = gaussian(1000, 0.0, 0.1, 5)
    x[0] = [50.0, 0.0]
    mask = metrics.iqr_mask(x, 2.0)
    assert not mask[0] and mask.mean() > 0.98


def test_evaluate_needs_enough_points():
    with pytest.raises(ValueError, match="metrics need 5 x 512 = 2560 points"):
        metrics.evaluate(gaussian(100, 0, 1, 0), gaussian(100, 0, 1, 1))


def test_kde_metrics_one_dimensional():
    x = np.random.default_rng(0).standard_normal((512, 1))
    kl, bc = metrics.kde_kl_bhattacharyya(x, x + 0.5, bandwidth=0.1, grid=200)
    assert kl > 0.05 and 0 < bc < 1


def test_unfenced_kl_counts_lost_mass_and_the_counts_are_reported():
    """Data = 4 copies of 128 points; generated = the same with one copy diverged (NaN and far
    away): q = (3/4) p on the grid, so the unfenced KL is exactly -log(3/4), while the authors'
    fence drops the diverged rows (fewer than a quarter) and renormalises them away."""
    from activediff.evaluation.metrics import evaluate, kde_kl_unfenced

    rng = np.random.default_rng(4)
    data = np.tile(rng.normal(size=(128, 2)) * 0.1, (4, 1))
    assert abs(kde_kl_unfenced(data, data, 0.01, 200)) < 1e-6
    generated = data.copy()
    generated[:64] = np.nan
    generated[64:128] = 1e3
    assert abs(kde_kl_unfenced(data, generated, 0.01, 200) + np.log(0.75)) < 1e-6
    generated[64:120] = data[64:120]  # 64 + 8 lost of 512: the fence drops them
    out = evaluate(np.concatenate([data, data]), np.concatenate([generated, data]), n_eval=512, n_chunks=2,
                   kde_grid=200)
    assert out["n_nonfinite"] == 64 and out["n_fenced"] >= 72 and out["n_replicates"] == 2
    assert out["kl_unfenced"] > out["kl"]


def test_far_spread_samples_give_a_large_finite_kl_not_nan():
    """Samples 1e4 wide make the authors' joint-box grid miss the 0.01 bandwidth (their 0/0 = nan):
    the metric is taken on the data's box instead, where the far samples carry no mass."""
    from activediff.evaluation.metrics import evaluate

    rng = np.random.default_rng(0)
    data, wide = rng.normal(size=(1024, 2)) * 0.1, rng.normal(size=(1024, 2)) * 1e4
    out = evaluate(data, wide, n_eval=512, n_chunks=2)
    assert np.isfinite(out["kl"]) and out["kl"] > 10 and out["bhattacharyya"] < 0.01
    assert out["n_chunks_regridded"] == 2
    near = evaluate(data, rng.normal(size=(1024, 2)) * 0.1, n_eval=512, n_chunks=2)
    assert near["n_chunks_regridded"] == 0 and near["kl"] < 1.5
