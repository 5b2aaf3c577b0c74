"""Alanine (phi, psi) models: the chart and its wrap, the seam choice, the training data function,
the basin table over seeds (on a synthetic mixture with known populations), the claims, and the
outputs of the shared .test run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from activediff.alanine.basins import BASIN_NAMES, BASINS, basin_labels, basin_populations
from activediff.alanine.models import (
    DihedralChart,
    DihedralFrames,
    chart_record,
    lowest_density_seam,
    read_chart,
    training_data,
)
from activediff.alanine.tables import fidelity_rows, summarise_basins, total_variation
from activediff.evaluation.claims import ClaimSettings
from activediff.io import InputError, save_npz

from conftest import TEST_CONFIG

RNG = np.random.default_rng(7)


# ---- chart and wrap --------------------------------------------------------------------------


@pytest.mark.parametrize("seams", [(-180.0, -180.0), (65.0, -92.5), (0.0, 179.0)])
def test_chart_round_trip_and_range(seams):
    chart = DihedralChart(*seams)
    phi = np.r_[RNG.uniform(-180, 180, 500), -180.0, 179.999999, seams[0], seams[0] - 1e-12]
    psi = np.r_[RNG.uniform(-180, 180, 500), 0.0, -180.0, seams[1], seams[1] + 1e-12]
    x = chart.to_chart(phi, psi)
    assert x.shape == (phi.size, 2) and (x >= -1).all() and (x < 1).all()
    back_phi, back_psi = chart.from_chart(x)
    for a, b in ((back_phi, phi), (back_psi, psi)):
        assert ((a >= -180) & (a < 180)).all()
        diff = (a - b + 180) % 360 - 180                 # equal on the circle
        assert np.abs(diff).max() < 1e-9
    # The seam itself maps to x = -1 (one end of the chart).
    np.testing.assert_allclose(chart.to_chart(np.array([seams[0]]), np.array([seams[1]])), [[-1.0, -1.0]])


def test_plain_chart_is_angle_over_180():
    phi, psi = RNG.uniform(-180, 180, (2, 100))
    assert DihedralChart().to_chart(phi, psi) == pytest.approx(np.c_[phi, psi] / 180, abs=1e-12)


def test_overshooting_samples_wrap_across_the_seam():
    chart = DihedralChart(seam_phi=60.0, seam_psi=-100.0)
    # x = 1 + d and x = -1 - d are d * 180 degrees past either end of the chart.
    phi, psi = chart.from_chart(np.array([[1.1, -1.2], [-1.05, 3.0], [7.0, -5.0]]))
    expected_phi = (np.array([60 + 180 * 2.1, 60 - 180 * 0.05, 60 + 180 * 8]) + 180) % 360 - 180
    expected_psi = (np.array([-100 - 180 * 0.2, -100 + 180 * 4, -100 - 180 * 4]) + 180) % 360 - 180
    assert phi == pytest.approx(expected_phi) and psi == pytest.approx(expected_psi)
    assert phi[0] == pytest.approx(78.0) and phi[1] == pytest.approx(51.0)   # just past the seam at 60


def test_from_chart_rejects_bad_shape():
    with pytest.raises(InputError, match="shape"):
        DihedralChart().from_chart(np.zeros((3, 3)))


# ---- seam choice -----------------------------------------------------------------------------


def test_seam_is_centre_of_the_emptiest_arc_and_deterministic():
    # Data on [-170, -20] and a small cluster at [40, 60]: the empty arcs are (-20, 40) and
    # (60, 190): the longer one, (60, 190), has its centre at 125.
    angles = np.r_[RNG.uniform(-170, -20, 3000), RNG.uniform(40, 60, 100)]
    seam = lowest_density_seam(angles, 5.0)
    assert seam == pytest.approx(125.0, abs=5.0)
    assert lowest_density_seam(RNG.permutation(angles), 5.0) == seam          # order does not matter
    assert lowest_density_seam(angles + 360.0, 5.0) == seam                   # nor the angle's branch


def test_seam_of_an_arc_crossing_180_and_ties():
    # Data on [-100, 100]: the empty arc (100, 260) crosses +-180, its centre is -180.
    assert lowest_density_seam(RNG.uniform(-100, 100, 2000), 10.0) == pytest.approx(-180.0)
    # Two equal empty arcs, (-170, 0) and (10, 180): the first from -180 upwards wins.
    two = np.r_[np.full(10, -175.0), np.full(10, 5.0)]
    assert lowest_density_seam(two, 10.0) == pytest.approx(-85.0)
    # No preferred cut (every bin equally full): the plain chart's seam.
    assert lowest_density_seam(np.arange(-175.0, 180.0, 10.0), 10.0) == -180.0
    with pytest.raises(InputError, match="divide 360"):
        lowest_density_seam(two, 7.0)


def test_chart_record_plain_and_data(tmp_path):
    phi, psi = RNG.uniform(-170, -30, 400), RNG.uniform(100, 170, 400)
    plain = chart_record(phi, psi, "plain")
    assert (plain["seam_phi"], plain["seam_psi"]) == (-180.0, -180.0)
    record = chart_record(phi, psi, "lowest_density", 5.0)
    assert record == chart_record(phi, psi, "lowest_density", 5.0)
    # empty arcs (-30, 190) and (170, 460): centres 80 and 315 = -45
    assert record["seam_phi"] == pytest.approx(80, abs=5) and record["seam_psi"] == pytest.approx(-45, abs=5)
    with pytest.raises(InputError, match="chart"):
        chart_record(phi, psi, "mercator")


# ---- training data ---------------------------------------------------------------------------


def test_data_fn_draws_frames_in_chart_coordinates(tmp_path):
    phi = np.r_[np.full(300, -70.0), np.full(100, 60.0)]
    psi = np.r_[np.full(300, 140.0), np.full(100, 30.0)]
    save_npz(tmp_path / "d.npz", phi=phi, psi=psi)
    record = chart_record(phi, psi, "lowest_density", 5.0)
    (tmp_path / "chart.json").write_text(json.dumps(record))
    draw, spec = training_data(tmp_path / "d.npz", tmp_path / "chart.json")
    assert spec["kind"] == "alanine_dihedrals" and spec["data_sha256"] == record["data_sha256"]
    chart, _ = read_chart(tmp_path / "chart.json")
    x = draw(4000, 11)
    assert x.shape == (4000, 2) and x.dtype == np.float64
    assert np.array_equal(x, draw(4000, 11)) and not np.array_equal(x, draw(4000, 12))
    back = np.c_[chart.from_chart(x)]
    assert set(map(tuple, np.round(back, 6).tolist())) == {(-70.0, 140.0), (60.0, 30.0)}
    frac = np.mean(np.isclose(back[:, 0], 60.0))
    assert abs(frac - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 4000)
    # A chart made from other data is refused.
    save_npz(tmp_path / "other.npz", phi=phi + 1, psi=psi)
    with pytest.raises(InputError, match="other data"):
        training_data(tmp_path / "other.npz", tmp_path / "chart.json")


def test_data_fn_refuses_empty_data():
    with pytest.raises(InputError, match="no dihedral"):
        DihedralFrames(np.empty(0), np.empty(0), DihedralChart())


# ---- basin table over seeds ------------------------------------------------------------------

TRUE = {"alpha_R": 0.45, "beta": 0.25, "P_II": 0.2, "alpha_L": 0.07, "other": 0.03}


def mixture(n: int, rng: np.random.Generator, weights=TRUE):
    """Points uniform in each basin's first rectangle ('other': phi in [0, 180), psi in [150, 180)),
    basin chosen with the given probabilities."""
    boxes = {name: rects[0] for name, rects in BASINS.items()} | {"other": (0.0, 180.0, 150.0, 180.0)}
    names = list(weights)
    which = rng.choice(len(names), size=n, p=[weights[k] for k in names])
    phi, psi = np.empty(n), np.empty(n)
    for i, name in enumerate(names):
        p0, p1, s0, s1 = boxes[name]
        m = which == i
        phi[m], psi[m] = rng.uniform(p0, p1, m.sum()), rng.uniform(s0, s1, m.sum())
    return phi, psi


def by_seed_table(sdes, n_seeds, n, rng, weights=TRUE):
    tables = []
    for sde in sdes:
        for seed in range(n_seeds):
            t = basin_populations(*mixture(n, rng, weights), block_length=1, n_bootstrap=200, seed=seed)
            tables.append(t.assign(sde=sde, seed=seed))
    return pd.concat(tables, ignore_index=True)


def test_mixture_lands_in_the_stated_basins():
    phi, psi = mixture(2000, np.random.default_rng(0))
    labels = basin_labels(phi, psi)
    counts = np.bincount(labels, minlength=len(BASIN_NAMES)) / labels.size
    for k, name in enumerate(BASIN_NAMES):
        assert abs(counts[k] - TRUE[name]) < 5 * np.sqrt(TRUE[name] * (1 - TRUE[name]) / 2000)


def test_summary_recovers_known_populations_with_calibrated_errors():
    rng = np.random.default_rng(1)
    data = basin_populations(*mixture(3000, rng), block_length=1, n_bootstrap=200, seed=0)
    n, seeds = 1500, 3
    table = summarise_basins(data, by_seed_table(["passive", "active", "cld"], seeds, n, rng))
    assert list(table["source"].unique()) == ["data", "passive", "active", "cld"]
    assert len(table) == 4 * len(BASIN_NAMES)
    assert list(table["basin"][:len(BASIN_NAMES)]) == list(BASIN_NAMES)
    assert table.notna().all().all()  # no blank cells: the data row has n_seeds 0 and zero differences
    one_seed = summarise_basins(data, by_seed_table(["passive"], 1, 500, rng)).query("source == 'passive'")
    assert np.isinf(one_seed["stderr_seeds"]).all() and np.isfinite(one_seed["stderr"]).all()
    for source, sub in table.groupby("source"):
        assert sub["population"].sum() == pytest.approx(1.0)
    models = table[table["source"] != "data"].copy()
    truth = models["basin"].map(TRUE)
    # Each process's mean over seeds recovers the true populations within a z bound.
    z_true = (models["population"] - truth) / models["stderr"]
    assert (z_true.abs() < 4).all(), models.assign(z_true=z_true)
    # The error is about the binomial error of all pooled samples (seeds x n), never below the
    # mean bootstrap error, and stderr_sampling is exactly that.
    binomial = np.sqrt(truth * (1 - truth) / (seeds * n))
    assert ((models["stderr"] / binomial).between(0.9, 2.5)).all()
    assert (models["stderr"] >= models["stderr_sampling"] - 1e-15).all()
    assert ((models["stderr_sampling"] / binomial).between(0.8, 1.2)).all()
    assert (models["n_seeds"] == seeds).all() and (models["n_points"] == seeds * n).all()
    # diff and z against the data populations.
    ref = models["basin"].map(data.set_index("basin")["population"])
    assert models["diff_vs_data"].to_numpy() == pytest.approx((models["population"] - ref).to_numpy())
    assert models["z"].to_numpy() == pytest.approx((models["diff_vs_data"] / models["diff_stderr"]).to_numpy())


def test_z_detects_a_wrong_population():
    rng = np.random.default_rng(2)
    data = basin_populations(*mixture(3000, rng), block_length=1, n_bootstrap=200, seed=0)
    wrong = dict(TRUE, alpha_R=0.35, beta=0.35)
    table = summarise_basins(data, by_seed_table(["passive"], 3, 2000, rng, wrong))
    row = table[(table["source"] == "passive")].set_index("basin")
    assert row.loc["alpha_R", "z"] < -4 and row.loc["beta", "z"] > 4


def test_fidelity_rows_pair_seeds():
    rng = np.random.default_rng(3)
    data = basin_populations(*mixture(3000, rng), block_length=1, n_bootstrap=200, seed=0)
    good = by_seed_table(["active"], 3, 2000, rng)
    bad = by_seed_table(["passive"], 3, 2000, rng, dict(TRUE, alpha_R=0.30, beta=0.40))
    by_seed = pd.concat([good, bad], ignore_index=True)
    tv = total_variation(by_seed, data)
    assert len(tv) == 6 and (tv.query("sde == 'passive'")["tv"] > 0.1).all()
    settings = ClaimSettings()
    rows = fidelity_rows(data, by_seed, ["passive", "active"], settings)
    assert rows[0]["verdict"] == "reproduced" and rows[0]["value"] > 0.1 and rows[0]["dof"] == 2
    assert rows[-1]["verdict"] == "not measured here"  # the basin-separation statement
    swapped = by_seed.assign(sde=by_seed["sde"].map({"active": "passive", "passive": "active"}))
    assert fidelity_rows(data, swapped, ["passive", "active"], settings)[0]["verdict"] == "contradicted"


def test_summary_refuses_missing_basins():
    data = basin_populations(*mixture(100, RNG), n_bootstrap=10)
    with pytest.raises(InputError, match="basins"):
        summarise_basins(data[data["basin"] != "other"], by_seed_table(["passive"], 1, 100, RNG))


# ---- the shared .test run --------------------------------------------------------------------


@pytest.mark.slow
def test_test_run_alanine_model_outputs(test_run_dir):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    seeds, n = cfg["training"]["seeds"], cfg["alanine"]["models"]["n_samples"]
    with np.load(test_run_dir / "results/alanine/dihedrals.npz", allow_pickle=False) as d:
        frames = (d["phi"], d["psi"])
    chart, record = read_chart(test_run_dir / "results/alanine/chart.json")
    assert record == chart_record(*frames, record["chart"], record["seam_bin_deg"])
    for sde in ("passive", "active", "cld"):
        for seed in seeds:
            with np.load(test_run_dir / f"results/samples/alanine/{sde}/seed{seed}.npz", allow_pickle=False) as s:
                phi, psi, x = s["phi"], s["psi"], s["x"]
            assert phi.shape == psi.shape == (n,) and x.shape == (n, 2)
            assert ((phi >= -180) & (phi < 180) & (psi >= -180) & (psi < 180)).all()
            assert np.allclose(np.c_[chart.from_chart(x)], np.c_[phi, psi])
    table = pd.read_csv(test_run_dir / "results/metrics/alanine_basins.csv")
    assert list(table["source"].unique()) == ["data", "passive", "active", "cld"]
    assert len(table) == 4 * len(BASIN_NAMES)
    assert np.allclose(table.groupby("source")["population"].sum(), 1.0)
    models = table[table["source"] != "data"]
    assert (models["n_seeds"] == len(seeds)).all() and (models["n_points"] == len(seeds) * n).all()
    assert np.isfinite(models["stderr"]).all() and (models["stderr"] >= 0).all()
    # The beta/P_II dip: a contrast per model where the data show a dip, else one line saying why.
    separation = pd.read_csv(test_run_dir / "results/metrics/alanine/separation_by_seed.csv")
    summary = pd.read_csv(test_run_dir / "results/metrics/alanine_separation.csv").set_index("source")
    assert summary.loc["data"].notna().all() and (summary.loc["data", "contrast"] <= 1)
    claims = pd.read_csv(test_run_dir / "results/fidelity.csv")
    fig3a = claims[claims["figure"] == "fig3a"]
    dip_rows = fig3a[fig3a["claim"].str.contains("separates beta and P_II")]
    if separation.empty:
        assert summary.index.tolist() == ["data"] and summary.loc["data", "error_from"].startswith("no dip")
        assert len(dip_rows) == 1 and dip_rows["verdict"].iloc[0] == "not measured here"
    else:
        assert len(separation) == 3 * len(seeds) and separation["contrast"].between(0, 1).all()
        assert summary.index.tolist() == ["data", "passive", "active", "cld"]
        assert len(dip_rows) == 2  # active and CLD against passive
    assert len(fig3a) == 2 + len(dip_rows)  # basin populations: active and CLD vs passive
    for ext in ("png", "pdf"):
        assert (test_run_dir / f"results/figures/fig3a.{ext}").stat().st_size > 10_000


MODEL_TARGETS = ("results/figures/fig3a.png", "results/metrics/alanine_basins.csv", "results/fidelity/alanine.csv")


@pytest.mark.slow
@pytest.mark.parametrize("change", ["n_samples", "chart"])
def test_config_change_reruns_only_its_dependents(test_run_dir, dry_run_jobs, change):
    """More samples resample without retraining; another chart retrains the alanine models
    (its seams change their training data) but reruns no MD."""
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    models = cfg["alanine"]["models"]
    if change == "n_samples":
        models["n_samples"] += 1
    else:
        models["chart"] = "plain"
    counts = dry_run_jobs(test_run_dir, *MODEL_TARGETS, override=cfg)
    n_models = 3 * len(cfg["training"]["seeds"])
    expected = {"sample_alanine": n_models, "alanine_model_basins": 1, "alanine_separation": 1,
                "fidelity_alanine": 1, "fig3a": 1}
    if change == "chart":
        expected |= {"alanine_chart": 1, "train_mlp": 3}  # one job per process trains every seed
    assert counts == expected
