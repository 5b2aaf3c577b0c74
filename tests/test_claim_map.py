"""The claim map (toy/claim_map.py, docs/theory.md 10): condition and variant enumeration, the
temperature-matched control against the SDE's own stationary covariance, the fast sampler and
amplification against the library's, one tiny real cell, the Welch test, the figure and the
stage's rules in a dry run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from activediff.diffusion.samplers import reverse_em_samples, reverse_time_grid
from activediff.diffusion.scores import exact_score_fn
from activediff.diffusion.sde import make_sde
from activediff.diffusion.stability import em_amplification
from activediff.evaluation.plotting import save_figure
from activediff.toy import claim_map as cm
from activediff.toy.claim_map_figure import claim_map as claim_map_figure
from activediff.toy.claim_map_figure import significance_mark
from activediff.toy.data import diamond_mixture

from conftest import copy_workflow

SECTION = dict(enabled=True, dataset="diamond", design="cross", centre=dict(k=1.0, tau=0.25, eta0="stationary"),
               dt_physical=[0.1, 0.05, 0.01, 0.005, 0.001], eps=[0.0, 1.0e-5, 1.0e-3], denoise=[False, True],
               tau=[0.01, 0.1, 0.25, 0.5], k=[0.5, 1.0, 1.5], eta0=["stationary", "zero"], alpha=0.05,
               batch_size=2560)
TINY_METRICS = dict(n_eval=32, n_chunks=2, kde_bandwidth=0.01, kde_grid=40, iqr_threshold=2.0, swd_projections=8,
                    mmd_bandwidth=0.1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def settings(**changes):
    return cm.ClaimMapSettings.from_config(dict(SECTION, **changes))


def test_conditions_skip_denoising_at_eps_zero():
    conds = cm.conditions(settings())
    assert len(conds) == 5 * (1 + 2 * 2)  # dt x (analytic grid + 2 eps x 2 denoise)
    assert not [c for c in conds if c.eps == 0 and c.denoise]
    assert {c.grid for c in conds if c.eps == 0} == {"authors_analytic"}
    assert {c.grid for c in conds if c.eps > 0} == {"authors_nn"}


def test_cross_design_varies_one_parameter_at_a_time():
    found = cm.variants(settings())
    centre = cm.Variant(1.0, 0.25, "stationary")
    assert found[0] == centre and len(found) == len(set(found)) == 1 + 3 + 2 + 1
    for v in found[1:]:
        assert sum(getattr(v, f) != getattr(centre, f) for f in ("k", "tau", "eta0")) == 1
    # passive comparisons: k 1 at T 1, the matched T of each tau, and both for k 0.5 and 1.5
    assert len(cm.passive_runs(settings(), 0.0, 1.0)) == 2 + 3 + 4


def test_full_design_is_the_factorial():
    found = cm.variants(settings(design="full"))
    assert len(found) == len(set(found)) == 3 * 4 * 2
    assert len(cm.passive_runs(settings(design="full"), 0.0, 1.0)) == 3 * (1 + 4)  # per k: T = Ta and 4 matched


def test_bad_design_and_unknown_key_are_refused():
    with pytest.raises(ValueError, match="design"):
        settings(design="diagonal")
    with pytest.raises(ValueError, match="dt_phys"):
        cm.ClaimMapSettings.from_config(dict(SECTION, dt_phys=[0.1]))


@pytest.mark.parametrize("k, tau, Tp, Ta", [(1.0, 0.25, 0.0, 1.0), (0.5, 0.01, 0.0, 1.0), (1.5, 0.5, 0.3, 2.0),
                                            (4.0, 0.25, 0.0, 1.0)])
def test_matched_temperature_is_k_times_the_stationary_x_variance(k, tau, Tp, Ta):
    active = make_sde("active", k=k, tau=tau, Tp=Tp, Ta=Ta)
    T = cm.matched_temperature(k, tau, Tp, Ta)
    assert T == pytest.approx(k * active.stationary_cov()[0, 0], rel=1e-12)
    passive = make_sde("passive", k=k, T=T)
    assert passive.stationary_cov()[0, 0] == pytest.approx(active.stationary_cov()[0, 0], rel=1e-12)
    # and the active kernel's x variance from x_0 = 0 tends to it (the SDE's covariance at large t)
    assert float(active.cov(np.array(50.0))[0, 0]) == pytest.approx(T / k, rel=1e-9)


def test_default_temperatures():
    temps = cm.comparison_temperatures(cm.Variant(1.0, 0.25, "stationary"), 0.0, 1.0)
    assert temps == {"paper": 1.0, "temperature_matched": pytest.approx(0.8)}


@pytest.mark.parametrize("name, params", [("passive", dict(k=1.0, T=0.8)), ("active", dict(k=1.5, tau=0.1, eta0="zero")),
                                          ("active", dict(tau=0.25))])
def test_em_samples_are_the_library_sampler(name, params):
    """The numpy loop gives reverse_em_samples' samples with the exact score, and
    grid_amplification is stability.em_amplification, under each grid convention."""
    mix = diamond_mixture(0.5, 0.04)
    sde = make_sde(name, **params)
    for c in (cm.Condition(0.1, 0.0, False), cm.Condition(0.05, 1e-3, True), cm.Condition(0.05, 1e-5, False)):
        x, amp = cm.em_samples(sde, mix, c, 48, seed=5, batch_size=20)
        dt = sde.code_step(c.dt_physical)
        ref = reverse_em_samples(sde, exact_score_fn(mix, sde), (2,), 48, 5, dt, c.eps, c.denoise, grid=c.grid)
        np.testing.assert_allclose(x, ref, rtol=1e-9, atol=1e-12)
        grid = reverse_time_grid(sde.t_max, dt, c.grid, c.eps, c.denoise)
        assert amp == pytest.approx(em_amplification(sde, mix, grid), rel=1e-10)


def test_a_tiny_cell_is_finite_and_swapping_the_processes_flips_the_difference():
    mix = diamond_mixture(0.5, 0.04)
    data = mix.sample(64, np.random.default_rng(0))
    conds = [cm.Condition(0.05, 0.0, False)]
    runs = {name: cm.run_conditions(make_sde(name), mix, data, conds, TINY_METRICS, base_seed=11, metrics_seed=3)
            for name in ("passive", "active")}
    p, a = (runs[name].iloc[0].to_dict() for name in ("passive", "active"))
    forward, backward = cm.compare(p, a, n_chunks=2), cm.compare(a, p, n_chunks=2)
    for key in ("diff", "diff_se", "dof", "t", "p_value", "em_amplification_passive", "em_amplification_active"):
        assert np.isfinite(forward[key]), key
    assert forward["diff"] == pytest.approx(p["kl"] - a["kl"])
    assert backward["diff"] == -forward["diff"] and backward["t"] == -forward["t"]
    assert backward["p_value"] == pytest.approx(forward["p_value"]) and backward["dof"] == forward["dof"]
    for key in cm.METRICS:
        assert backward[f"{key}_diff"] == -forward[f"{key}_diff"]
    table = cm.variant_table(cm.Variant(1.0, 0.25, "stationary"), runs["active"],
                             {"paper": runs["passive"], "temperature_matched": runs["passive"]},
                             {"paper": 1.0, "temperature_matched": 1.0}, n_chunks=2, beta=4.0)
    assert list(table.columns[: len(cm.FRONT)]) == cm.FRONT and len(table) == 2
    assert table["dt_code"].tolist() == [0.0125, 0.0125] and table["grid"].tolist() == ["authors_analytic"] * 2


def test_the_same_condition_seed_serves_every_process():
    c = cm.Condition(0.01, 1e-3, True)
    assert cm.condition_seed(7, c) == cm.condition_seed(7, cm.Condition(0.01, 1e-3, True))
    assert cm.condition_seed(7, c) != cm.condition_seed(7, dataclasses.replace(c, denoise=False))


def test_welch_test_is_scipys():
    """Welch's t test from the two means and standard errors, against scipy's from the stds."""
    n = 5
    p = dict({f"{m}": 2.0 for m in cm.METRICS}, **{f"{m}_se": 0.3 for m in cm.METRICS}, em_amplification=0.9)
    a = dict({f"{m}": 1.1 for m in cm.METRICS}, **{f"{m}_se": 0.1 for m in cm.METRICS}, em_amplification=1.2)
    out = cm.compare(p, a, n)
    ref = stats.ttest_ind_from_stats(2.0, 0.3 * np.sqrt(n), n, 1.1, 0.1 * np.sqrt(n), n, equal_var=False)
    assert out["t"] == pytest.approx(ref.statistic) and out["p_value"] == pytest.approx(ref.pvalue)
    assert out["diff_se"] == pytest.approx(np.hypot(0.3, 0.1)) and out["em_stable"] is False


def synthetic_table():
    rows = []
    for variant, tau in (("k1_tau0.25_stationary", 0.25), ("k1_tau0.5_stationary", 0.5)):
        for comparison, T in (("paper", 1.0), ("temperature_matched", 1 / (1 + tau))):
            for dt in (0.1, 0.01):
                for eps, den in ((0.0, False), (1e-3, False), (1e-3, True)):
                    diff = np.nan if (dt, eps, den) == (0.1, 1e-3, True) else 3.0 * dt - eps * 1e3
                    rows.append(dict(variant=variant, comparison=comparison, dt_physical=dt, dt_code=dt / 4, eps=eps,
                                     denoise=den, k=1.0, tau=tau, eta0="stationary", passive_T=T, diff=diff,
                                     p_value=0.01 if dt == 0.1 else 0.5, em_stable=dt < 0.1))
    return pd.DataFrame(rows)


def test_figure_has_a_panel_per_variant_and_comparison():
    fig = claim_map_figure(synthetic_table())
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 4  # 2 variants x 2 comparisons
    texts = [t.get_text() for t in images[0].texts]  # dt 0.1 significant; its third cell is NaN
    assert (texts.count("+"), texts.count("-"), texts.count(".")) == (1, 1, 4)
    assert sum(p.get_hatch() == "////" for p in images[0].patches) == 3  # the dt 0.1 column


def test_significance_marks():
    assert significance_mark(1.0, 0.01, 0.05) == "+"
    assert significance_mark(-1.0, 0.01, 0.05) == "-"
    assert significance_mark(-1.0, 0.2, 0.05) == "."
    assert significance_mark(1.0, float("nan"), 0.05) == "."
    assert significance_mark(float("nan"), 0.01, 0.05) == "."


def test_figure_saves_identically(tmp_path):
    paths = [tmp_path / f"{name}.png" for name in ("first", "second")]
    for path in paths:
        save_figure(claim_map_figure(synthetic_table()), path)
    for suffix in (".png", ".pdf"):
        first, second = (path.with_suffix(suffix).read_bytes() for path in paths)
        assert len(first) > 1000 and first == second, suffix


@pytest.mark.slow
def test_the_stage_builds_in_a_dry_run_of_the_default_config(tmp_path, dry_run_jobs):
    """Default config: 9 passive comparison processes (shared by the 7 cross-design variants)."""
    workdir = copy_workflow(tmp_path / "copy")
    counts = dry_run_jobs(workdir, "results/figures/claim_map.png", configfile=None)
    assert {rule: n for rule, n in counts.items() if rule.startswith("claim_map")} == {
        "claim_map_passive": 9, "claim_map_variant": 7, "claim_map_table": 1, "claim_map_figure": 1}


def test_plan_gives_every_job_its_process():
    processes = dict(beta=4.0, t_max=1.0, active=dict(k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="stationary"))
    plan = cm.ClaimMapPlan.from_config(dict(claim_map=SECTION, processes=processes))
    for name in plan.variants:
        params = plan.active_params(name)
        assert make_sde("active", **params).tau == plan.variants[name].tau and params["beta"] == 4.0
        for comparison in cm.COMPARISONS:
            k, T = plan.passive[plan.passive_tag(name, comparison)]
            assert k == params["k"] and T == plan.temperatures(name)[comparison]
    assert plan.passive_params("k1_T0.8") == dict(k=1.0, T=pytest.approx(0.8), beta=4.0, t_max=1.0)
    assert [cm.Condition(*row) for row in plan.condition_rows()] == cm.conditions(plan.settings)
