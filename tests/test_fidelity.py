"""The claims ledger on constructed tables: each claim can come out reproduced, contradicted or
inconclusive, verdicts move with the conditions, and derived statements are marked as such."""

import numpy as np
import pandas as pd

from activediff.evaluation import claims

SETTINGS = claims.ClaimSettings(large_dt_physical=(0.1,), kl_margin=0.25)


def analytic_table(kl: dict, se=0.05, convention="authors_analytic", unstable=()):
    """Rows (dataset diamond) with kl[(sde, dt_phys)] and 5 replicates each."""
    return pd.DataFrame([dict(dataset="diamond", sde=sde, dt=dt / 4, dt_phys=dt, convention=convention, kl=v,
                              kl_se=se, n_replicates=5, em_stable=(sde, dt) not in unstable,
                              em_amplification=1.2 if (sde, dt) in unstable else 0.99)
                         for (sde, dt), v in kl.items()])


FLOOR = pd.DataFrame([dict(dataset="diamond", kl=0.9, kl_se=0.04, n_replicates=5)])


def by_claim(rows):
    return {r["claim"]: r for r in rows}


def test_the_paper_reproduced_on_numbers_that_say_so():
    table = analytic_table({("passive", 0.1): 6.9, ("active", 0.1): 5.9,
                            ("passive", 0.001): 0.94, ("active", 0.001): 0.84})
    rows = by_claim(claims.step_size_claims(table, FLOOR, SETTINGS, "fig2a", "exact score"))
    assert rows["active better than passive at large step sizes (exact score)"]["verdict"] == "reproduced"
    assert rows["passive reproduces the target at the smallest step size (exact score)"]["verdict"] == "reproduced"
    whole = rows["comparable at small step sizes, both reproduce the target (exact score)"]
    assert whole["verdict"] == "reproduced" and whole["kind"] == "evidence"


def test_a_contradicting_table_gives_contradicted():
    """The project's old default (eps 1e-3, coarse grid): passive stuck at KL 2.4, far above the floor."""
    table = analytic_table({("passive", 0.1): 4.0, ("active", 0.1): 6.0,
                            ("passive", 0.02): 2.4, ("active", 0.02): 0.83}, convention="authors_nn, eps 0.001")
    rows = by_claim(claims.step_size_claims(table, FLOOR, SETTINGS, "fig2a", "exact score"))
    assert rows["active better than passive at large step sizes (exact score)"]["verdict"] == "contradicted"
    assert rows["passive reproduces the target at the smallest step size (exact score)"]["verdict"] == "contradicted"
    assert rows["comparable at small step sizes, both reproduce the target (exact score)"]["verdict"] == "contradicted"


def test_noisy_numbers_are_inconclusive_and_unstable_cells_are_flagged():
    table = analytic_table({("passive", 0.1): 6.9, ("active", 0.1): 5.9}, se=2.0, unstable=[("active", 0.1)])
    row = by_claim(claims.step_size_claims(table, FLOOR, SETTINGS, "fig2a", "exact score"))[
        "active better than passive at large step sizes (exact score)"]
    assert row["verdict"] == "inconclusive" and "EM amplification" in row["conditions"]


def test_verdict_moves_with_a_changed_condition():
    """The same claim under two conventions: only the eps = 1e-3 one blurs passive off the target."""
    analytic = analytic_table({("passive", 0.001): 0.94, ("active", 0.001): 0.84})
    nn = analytic_table({("passive", 0.001): 2.4, ("active", 0.001): 0.84}, convention="authors_nn, eps 0.001")
    rows = claims.step_size_claims(pd.concat([analytic, nn]), FLOOR, SETTINGS, "fig2a", "exact score")
    verdicts = {r["conditions"].split(", ", 2)[2]: r["verdict"] for r in rows
                if r["claim"].startswith("comparable at small step sizes")}
    assert verdicts == {"authors_analytic": "reproduced", "authors_nn, eps 0.001": "contradicted"}


def test_close_diamond_passive_struggles():
    table = analytic_table({("passive", 0.001): 2.0, ("active", 0.001): 0.9}).assign(dataset="diamond_close")
    floor = FLOOR.assign(dataset="diamond_close")
    rows = by_claim(claims.step_size_claims(table, floor, SETTINGS, "figA1", "exact score",
                                            close_dataset="diamond_close"))
    assert rows["close diamond: passive struggles at the smallest step size (exact score)"]["verdict"] == "reproduced"


def test_speciation_rows_are_derived_and_the_simulation_is_evidence():
    markers = pd.DataFrame([dict(dataset="d", sde="passive", t_s=0.1, **{"lambda": 0.2}),
                            dict(dataset="d", sde="active", t_s=0.2, **{"lambda": 0.2})])
    matched = pd.DataFrame([dict(dataset="d", t_s=0.25)])
    sim = pd.DataFrame([dict(separation=3.0, sde="passive", t_sim=0.20, t_sim_se=0.01),
                        dict(separation=3.0, sde="active", t_sim=0.21, t_sim_se=0.01),
                        dict(separation=1.0, sde="passive", t_sim=np.nan, t_sim_se=np.nan),
                        dict(separation=1.0, sde="active", t_sim=0.1, t_sim_se=0.01)])
    rows = claims.speciation_claims(markers, matched, sim, 400, SETTINGS)
    kinds = [(r["kind"], r["verdict"]) for r in rows]
    assert kinds == [("derived", "reproduced"), ("derived", "contradicted"), ("evidence", "not measured here"),
                     ("evidence", "inconclusive")]
    assert "temperature-matched" in rows[1]["conditions"]


def test_denoising_claim_from_claim_map_rows():
    def cm_row(denoise, kl_p, kl_a):
        return dict(variant="k1_tau0.25_stationary", comparison="paper", dt_physical=0.001, eps=1e-3, denoise=denoise,
                    kl_passive=kl_p, kl_passive_se=0.05, kl_active=kl_a, kl_active_se=0.05, dof=8.0)

    table = pd.DataFrame([cm_row(False, 2.4, 0.84), cm_row(True, 1.34, 0.85)])
    whole = [r for r in claims.denoising_claims(table, SETTINGS, 5) if r["test"] == "all parts"]
    assert whole[0]["verdict"] == "reproduced"
    moved = pd.DataFrame([cm_row(False, 2.4, 0.84), cm_row(True, 2.41, 2.0)])  # active moves, passive not
    parts = {r["claim"]: r["verdict"] for r in claims.denoising_claims(moved, SETTINGS, 5)}
    assert parts["final denoising does not change active samples"] == "contradicted"
    assert parts["final denoising changes passive samples"] == "inconclusive"


def test_entropy_claim_names_the_activity_at_rest_in_its_conditions():
    """Constructed Pi(t): passive decays from its data end, active sits near its stationary rate 8
    per code time (2 coordinates): active's integral is the larger, mostly its rate at rest."""
    t = np.geomspace(1e-3, 1.0, 25)
    rows = [dict(sde=sde, quantity="pi", direction="reverse", score="exact", seed=-1, t_start=ti, t_end=ti,
                 value=v, se=0.01 * v, window="point")
            for sde, values in (("passive", 2e-3 / t), ("active", 8.0 + 0 * t)) for ti, v in zip(t, values)]
    rows += [dict(sde=sde, quantity="pi_stationary", direction="stationary", score="closed_form", seed=-1,
                  t_start=1.0, t_end=1.0, value=v, se=0.0, window="point") for sde, v in (("passive", 0.0),
                                                                                        ("active", 8.0))]
    (row,) = claims.entropy_production_claims(pd.DataFrame(rows), 4000, SETTINGS)
    assert row["verdict"] == "contradicted" and row["value"] < 0
    assert "active 7.99, of which 7.99 its stationary rate (8 per code time) x the duration" in row["conditions"]
    assert "passive 0.014, of which 0 its stationary rate" in row["conditions"]
