"""Toy datasets of docs/theory.md 4.3: reproducible and with the stated geometry."""

import numpy as np
import pytest

from activediff.toy import data as toy


def test_same_seed_same_bytes_and_different_seed_differs():
    a = toy.sample("multimodal_swissroll", 1000, 5, offset=0.1)
    b = toy.sample("multimodal_swissroll", 1000, 5, offset=0.1)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, toy.sample("multimodal_swissroll", 1000, 6, offset=0.1))


@pytest.mark.parametrize("B", [0.5, 0.2])
def test_diamond_geometry(B):
    mix = toy.diamond_mixture(B=B, std=0.04)
    d = np.linalg.norm(mix.means[:, None] - mix.means[None], axis=-1)
    assert np.min(d[d > 0]) == pytest.approx(B)  # neighbouring peaks are B apart
    assert np.max(np.linalg.norm(mix.means, axis=1)) == pytest.approx(B * np.sqrt(2))
    np.testing.assert_allclose(mix.covariance(), (2 * B**2 / 3 + 0.04**2) * np.eye(2), atol=1e-14)
    x = toy.sample("diamond", 200_000, 0, B=B, std=0.04)
    np.testing.assert_allclose(np.cov(x.T), mix.covariance(), rtol=0.02, atol=2e-3)


def test_swissroll_radius_and_scale():
    x = toy.sample("swissroll", 50_000, 1, noise=0.0, scale=0.01)
    r = np.linalg.norm(x, axis=1)
    assert r.max() <= 0.01 * 4.5 * np.pi + 1e-12 and r.min() >= 0.01 * 1.5 * np.pi - 1e-12


def test_multimodal_rolls_are_centred_on_the_offsets():
    x = toy.sample("multimodal_swissroll", 50_000, 2, offset=0.8, noise=0.2, scale=0.01)
    centres = np.array([[0, 0], [0.8, 0.8], [0.8, -0.8], [-0.8, -0.8], [-0.8, 0.8]])
    nearest = np.argmin(np.linalg.norm(x[:, None] - centres[None], axis=-1), axis=1)
    counts = np.bincount(nearest, minlength=5)
    assert np.all(np.abs(counts - 10_000) < 4.5 * np.sqrt(50_000 * 0.2 * 0.8))


def test_multigaussian_1d_moments():
    x = toy.sample("multigaussian_1d", 100_000, 3, mean=1.2, std=0.5)
    assert x.shape == (100_000, 1)
    assert np.var(x) == pytest.approx(1.2**2 + 0.25, rel=0.02)


def test_bad_dataset_parameters_name_the_problem():
    with pytest.raises(ValueError, match="swissroll.*bad parameters"):
        toy.sample("swissroll", 10, 0, B=0.5)
    with pytest.raises(ValueError, match="unknown toy dataset kind 'moons'"):
        toy.sample("moons", 10, 0)


def test_data_files_are_validated_on_load(tmp_path):
    from activediff.io import InputError, save_npz
    from activediff.toy.data import load_points

    good = toy.sample("diamond", 100, 1, B=0.5, std=0.04)
    save_npz(tmp_path / "good.npz", x=good)
    assert np.array_equal(load_points(tmp_path / "good.npz"), good)
    bad = good.copy()
    bad[5:10] = np.nan  # 5% non-finite rows
    save_npz(tmp_path / "nan.npz", x=bad)
    with pytest.raises(InputError, match="5 of 100 rows are not finite"):
        load_points(tmp_path / "nan.npz")
    save_npz(tmp_path / "shape.npz", x=good[:, :, None])
    with pytest.raises(InputError, match="shape"):
        load_points(tmp_path / "shape.npz")
