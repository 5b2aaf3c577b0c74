"""Lattice score models: training data, discretisation, observables and summaries, and a short
real training + sampling run on L = 8 lattices through the library."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch

from activediff.diffusion.sde import make_sde
from activediff.diffusion.settings import SamplingSettings
from activediff.evaluation.claims import ClaimSettings
from activediff.io import InputError, save_npz
from activediff.ising.mcmc import load_lattices
from activediff.ising.mcmc import sample as ising_sample
from activediff.ising.models import (
    LatticeData,
    curve_distances,
    data_rows,
    discretize,
    fidelity_rows,
    generate_lattices,
    histogram_edges,
    observables,
    paired_difference,
    require_validated,
    sample_checkpoints,
    summarize,
)
from activediff.ising.observables import abs_magnetization, energy_per_spin
from activediff.training.checkpoints import load_score_model
from activediff.training.train import TrainSettings, train

L = 8
SDES = ("passive", "active", "cld")  # the schema's default ising_models.sdes


@pytest.fixture(scope="module")
def lattices():
    return ising_sample(L, 2.0, 64, seed=3, chains=16, burn_in_sweeps=50, thinning_sweeps=2)


# -- discretisation -------------------------------------------------------------------------------

def test_sign_cutoff_and_random_ties():
    x = np.zeros((200, L, L))
    x[:, 0, 0], x[:, 0, 1] = 0.3, -1e-300
    s = discretize(x, "sign", seed=5)
    assert s.dtype == np.int8 and set(np.unique(s)) == {-1, 1}
    assert np.all(s[:, 0, 0] == 1) and np.all(s[:, 0, 1] == -1)
    ties = s[:, 1:, :].astype(float)
    assert abs(ties.mean()) < 4 / np.sqrt(ties.size)  # fair coin: within 4 standard errors
    assert np.array_equal(s, discretize(x, "sign", seed=5))
    assert not np.array_equal(s, discretize(x, "sign", seed=6))


def test_batch_mean_cutoff_thresholds_at_the_mean_of_the_whole_set():
    x = np.full((2, L, L), 2.0)
    x[0] += 1.0  # set mean 2.5: the first lattice is above, the second below
    s = discretize(x, "batch_mean")
    assert np.all(s[0] == 1) and np.all(s[1] == -1)
    assert np.all(discretize(np.full((1, 2, 2), 7.0), "batch_mean") == 1)  # equal to the mean: +1
    assert np.all(discretize(x, "sign") == 1)


def test_discretize_refuses_non_finite_values_and_unknown_cutoffs():
    x = np.zeros((3, 4, 4))
    x[1, 2, 2] = np.nan
    with pytest.raises(ValueError, match="1 of 48 generated values are not finite"):
        discretize(x)
    with pytest.raises(ValueError, match="cutoff must be one of"):
        discretize(np.ones((1, 2, 2)), "median")


# -- training data ----------------------------------------------------------------------------------

def test_lattice_data_subsets_and_draws(lattices):
    data = LatticeData(lattices, n_train=10, subset_seed=1)
    assert data.lattices.shape == (10, L, L)
    batch = data(5, 7)
    assert batch.dtype == np.float64 and batch.shape == (5, L, L) and set(np.unique(batch)) <= {-1.0, 1.0}
    assert np.array_equal(batch, data(5, 7)) and not np.array_equal(batch, data(5, 8))
    assert np.array_equal(LatticeData(lattices, 10, 1).lattices, data.lattices)
    assert LatticeData(lattices).lattices.shape[0] == 64
    assert data.spec(2.0)["n_train"] == 10 and data.spec(2.0) != LatticeData(lattices, 10, 2).spec(2.0)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((4, L, L), np.int8), r"256 value\(s\) other than \+-1"),
    (np.ones((4, L, L + 2), np.int8), r"shape \(4, 8, 10\)"),
    (np.full((4, L, L), np.nan), r"dtype float64, 256 NaN value\(s\)"),
])
def test_bad_lattices_are_refused_with_a_clear_message(tmp_path, lattices, bad, message):
    with pytest.raises(InputError, match=message):
        LatticeData(bad, source="my lattices")
    path = tmp_path / "lattices.npz"
    save_npz(path, lattices=bad)
    with pytest.raises(InputError, match=f"{path}.*{message}"):
        load_lattices(path, L=L)


def test_validation_report_is_required(tmp_path, caplog):
    good = tmp_path / "ok.json"
    good.write_text(json.dumps({"passed": True}))
    assert require_validated(good)["passed"]
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps({"passed": False}))
    import logging
    with caplog.at_level(logging.WARNING):
        require_validated(failed, logging.getLogger("activediff"))
    assert "FAILED the check" in caplog.text
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    with pytest.raises(InputError, match="not a validation report"):
        require_validated(broken)


# -- observables and summaries ----------------------------------------------------------------------

def test_observables_of_known_lattices(lattices):
    ob = observables(lattices)
    n, m = ob["M"]
    assert np.array_equal(n, np.arange(1, L + 1)) and m[0] == 1.0
    assert np.isclose(m[-1], abs_magnetization(lattices).mean())
    assert np.isclose(ob["energy"][1][0], energy_per_spin(lattices).mean())
    for name in ("energy_hist", "absm_hist"):
        x, density = ob[name]
        edges = histogram_edges(L, name)
        assert np.isclose((density * np.diff(edges)).sum(), 1.0)
    # every attainable E/N and |m| level lies strictly inside a bin
    levels_e = -2.0 + 4.0 * np.arange(L * L + 1) / L**2
    levels_m = 2.0 * np.arange(L * L // 2 + 1) / L**2
    for levels, name in ((levels_e, "energy_hist"), (levels_m, "absm_hist")):
        edges = histogram_edges(L, name)
        assert np.abs(levels[:, None] - edges[None, :]).min() > 0.4 / L**2
    # all-up lattices: C(r) = 0, M(n) = 1
    up = np.ones((3, L, L), np.int8)
    assert np.allclose(observables(up)["C"][1], 0) and np.allclose(observables(up)["M"][1], 1)


def test_summary_distances_and_claims():
    rows = []
    for seed, (p, a) in enumerate([(0.3, 0.1), (0.5, 0.2), (0.4, 0.2)]):
        for sde, level in (("passive", p), ("active", a)):
            for it, scale in ((100, 1.0), (300, 0.1)):
                rows += [dict(T=2.0, sde=sde, seed=seed, iteration=it, observable="M", x=float(n),
                              value=1.0 - level * scale) for n in (1, 2, 3)]
    per_seed = pd.DataFrame(rows)
    data = pd.DataFrame({"T": 2.0, "sde": "data", "iteration": 0, "observable": "M", "x": [1.0, 2.0, 3.0],
                         "mean": 1.0, "stderr": 0.0, "n_seeds": 0})
    d = curve_distances(per_seed, data)
    assert np.allclose(d[(d.sde == "passive") & (d.iteration == 100)].sort_values("seed")["distance"], [0.3, 0.5, 0.4])
    mean, err, per = paired_difference(d, 2.0, 100, "passive", "active")
    assert np.isclose(mean, np.mean([0.2, 0.3, 0.2])) and np.isclose(err, np.std([0.2, 0.3, 0.2], ddof=1) / np.sqrt(3))
    s = summarize(per_seed)
    one = s[(s.sde == "passive") & (s.iteration == 100) & (s.x == 1.0)].iloc[0]
    assert np.isclose(one["mean"], 1 - 0.4) and np.isclose(one["stderr"], 0.1 / np.sqrt(3)) and one["n_seeds"] == 3
    claims = pd.DataFrame(fidelity_rows(d, ["passive", "active"], ClaimSettings(ising_margin=0.05)))
    assert list(claims["figure"]) == ["fig4", "figA7", "fig4/figA7"]
    assert list(claims["verdict"]) == ["reproduced", "reproduced", "not measured here"]  # one temperature only
    assert (claims["dof"].iloc[:2] == 2).all()
    two = pd.concat([d, d.assign(T=3.0, distance=d["distance"] * np.where(d["sde"] == "passive", 0.5, 1.0))])
    lower = pd.DataFrame(fidelity_rows(two, ["passive", "active"], ClaimSettings(ising_margin=0.05))).iloc[-1]
    assert lower["verdict"] == "reproduced" and "T=2 vs T=3" in lower["conditions"]
    with pytest.raises(ValueError, match="no data M curve at T"):
        curve_distances(per_seed.assign(T=1.5), data)


def test_data_rows_have_standard_errors(lattices):
    rows = data_rows(lattices, 2.0)
    m = rows[rows.observable == "M"]
    assert len(m) == L and m["stderr"].iloc[0] == 0 and (m["stderr"].iloc[1:] > 0).all()
    assert set(rows["sde"]) == {"data"}


# -- a short real run ---------------------------------------------------------------------------------

def test_train_and_sample_tiny_lattice_models(tmp_path, lattices):
    """Every process trains a few iterations on L = 8 lattices through the real trainer and is
    sampled from its checkpoints with the adaptive PF-ODE; results do not depend on the
    sampling batch size."""
    torch.set_num_threads(1)
    data = LatticeData(lattices, 32, 0)
    net = dict(channels=4, channel_mult=[1, 2], num_res_blocks=1, attn_resolutions=[4])
    sampling = SamplingSettings(eps=1e-3, rtol=1e-3, atol=1e-3, denoise=True, batch_size=3)
    frames = []
    for name in ("passive", "active", "cld"):
        settings = TrainSettings(checkpoints=(2, 4), batch_size=2, lr=1e-3, mixed_score=name != "passive",
                                 numerical_eps=1e-9, net="unet", net_params=net, log_every=2, resume_every=2)
        paths = {i: tmp_path / name / f"ckpt_{i}.pt" for i in (2, 4)}
        train(settings, make_sde(name), data, data.spec(2.0), 11, paths, tmp_path / name / "log.csv",
              tmp_path / name / "state", device="cpu", progress=False)
        models = {i: load_score_model(p) for i, p in paths.items()}
        assert models[4].mixed_score == (name != "passive")
        arrays, rows = sample_checkpoints(models, 3, sampling, "sign", seed=9, keys=dict(T=2.0, sde=name, seed=0))
        assert arrays["lattices"].shape == (2, 3, L, L) and arrays["lattices"].dtype == np.int8
        assert set(np.unique(arrays["lattices"])) <= {-1, 1} and (arrays["score_evals"] > 6).all()
        assert set(rows["iteration"]) == {2, 4} and set(rows["observable"]) >= {"M", "C", "energy", "score_evals"}
        frames.append(rows)
        if name == "cld":
            one, _, _ = generate_lattices(models[4], 3, 9, dataclasses.replace(sampling, batch_size=1))
            assert np.array_equal(one, arrays["lattices"][1])
    per_seed = pd.concat(frames)
    d = curve_distances(per_seed, data_rows(lattices, 2.0))
    assert len(d) == 6 and np.isfinite(d["distance"]).all()


# -- the workflow (the shared .test run) --------------------------------------------------------------

@pytest.mark.slow
def test_ising_model_outputs_of_test_run(test_run_dir):
    import yaml

    from conftest import TEST_CONFIG

    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    models = cfg["ising_models"]
    iterations = sorted(models["training"]["checkpoints"])
    for T in models["temperatures"]:
        for sde in models.get("sdes", SDES):
            for seed in models["seeds"]:
                path = test_run_dir / f"results/samples/ising_T{float(T):g}/{sde}/seed{seed}.npz"
                with np.load(path) as f:
                    lat, iters = f["lattices"], f["iters"]
                n = models["n_samples"]
                assert lat.dtype == np.int8 and lat.shape == (len(iterations), n, cfg["ising"]["L"], cfg["ising"]["L"])
                assert list(iters) == iterations and set(np.unique(lat)) <= {-1, 1}
    summary = pd.read_csv(test_run_dir / "results/metrics/ising.csv")
    models_rows = summary[summary["sde"] != "data"]
    assert set(models_rows["sde"]) == {"passive", "active", "cld"} and set(models_rows["iteration"]) == set(iterations)
    assert (models_rows["n_seeds"] == len(models["seeds"])).all() and summary["data_validated"].all()
    m = summary[(summary["observable"] == "M") & (summary["x"] == 1)]
    assert np.allclose(m["mean"], 1.0)  # m_1 = 1 for every +-1 lattice
    claims = pd.read_csv(test_run_dir / "results/fidelity/ising.csv")
    assert set(claims["figure"]) == {"fig4", "figA7", "fig4/figA7"}
    assert len(claims) == 4 * len(models["temperatures"]) + 2  # + the two-temperature rows (not measured here)
    gathered = pd.read_csv(test_run_dir / "results/fidelity.csv")
    assert set(claims["claim"]) <= set(gathered["claim"])
    for fig in ("fig4", "figA7", "ising_model_observables"):
        for ext in ("png", "pdf"):
            assert (test_run_dir / f"results/figures/{fig}.{ext}").stat().st_size > 1000


@pytest.mark.slow
def test_cutoff_change_resamples_without_retraining(test_run_dir, dry_run_jobs):
    import yaml

    from conftest import TEST_CONFIG

    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    models = dict(cfg["ising_models"], cutoff="batch_mean")
    counts = dry_run_jobs(test_run_dir, override={"ising_models": models})
    n_models = len(models["temperatures"]) * len(models.get("sdes", SDES)) * len(models["seeds"])
    assert counts.get("train_ising", 0) == 0 and counts["sample_ising"] == n_models
    assert counts["ising_model_summary"] == 1 and counts["ising_model_figures"] == 1
    assert not {"ising_data", "ising_validation"} & set(counts)
