"""Claim rows: sign, error bars and the two-standard-error rule."""

import pandas as pd

from activediff.evaluation import claims as fidelity


def test_step_size_claim_uses_the_kl_difference_and_its_error():
    table = pd.DataFrame([
        dict(dataset="diamond", dt=0.1, sde="passive", kl=5.0, kl_se=0.3),
        dict(dataset="diamond", dt=0.1, sde="active", kl=2.0, kl_se=0.4),
        dict(dataset="diamond", dt=0.01, sde="passive", kl=1.0, kl_se=0.3),
        dict(dataset="diamond", dt=0.01, sde="active", kl=0.9, kl_se=0.4),
    ])
    rows = {r["setting"]: r for r in fidelity.exact_score_step_size(table)}
    big, small = rows["diamond dt=0.1"], rows["diamond dt=0.01"]
    assert big["value"] == 3.0 and abs(big["stderr"] - 0.5) < 1e-12 and big["holds"]
    assert abs(small["value"] - 0.1) < 1e-12 and not small["holds"]  # within two standard errors


def test_exact_values_hold_by_sign():
    markers = pd.DataFrame([dict(dataset="d", sde="passive", t_s=0.1), dict(dataset="d", sde="active", t_s=0.2)])
    sim = pd.DataFrame(columns=["separation", "sde", "t_sim", "t_sim_se"])
    (row,) = fidelity.speciation_order(markers, sim)
    assert row["holds"] and abs(row["value"] - 0.1) < 1e-12


def test_learned_claims_compare_samplers_at_the_final_checkpoint():
    rows = []
    for sampler, kl in [("learned_em", 3.0), ("learned_split", 1.0)]:
        for iters, shift in [(10, 5.0), (100, 0.0)]:
            rows.append(dict(dataset="diamond", sde="active", sampler=sampler, iters=iters, dt=0.1,
                             kl=kl + shift, kl_se=0.2))
    rows.append(dict(dataset="diamond", sde="passive", sampler="learned_em", iters=100, dt=0.1, kl=4.0, kl_se=0.2))
    out = {r["claim"]: r for r in fidelity.learned_claims(pd.DataFrame(rows))}
    split = out["splitting sampler beats Euler-Maruyama (not in the paper)"]
    assert split["value"] == 2.0 and split["holds"]
    assert out["active beats passive with a learned score"]["value"] == 1.0
