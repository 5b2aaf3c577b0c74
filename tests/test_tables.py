"""Seed summaries and the learned-vs-exact join."""

import numpy as np
import pandas as pd
import pytest

from activediff.evaluation.tables import METRICS, learned_vs_exact, summarise_over_seeds


def raw_rows(values, iters=100, dt=0.1):
    rows = []
    for seed, v in enumerate(values):
        row = dict(dataset="diamond", sde="active", sampler="learned_em", convention="authors_nn, eps 0.001",
                   seed=seed, iters=iters, dt=dt, dt_phys=4 * dt, score_evals=10.0, n_replicates=5, n_nonfinite=seed,
                   n_fenced=2 * seed, n_chunks_regridded=0)
        for m in METRICS:
            row[m], row[m + "_se"] = v, 0.01
        rows.append(row)
    return rows


def test_seed_summary_is_mean_and_standard_error():
    out = summarise_over_seeds(pd.DataFrame(raw_rows([1.0, 2.0, 3.0])))
    (row,) = out.to_dict("records")
    assert row["kl"] == 2.0 and row["n_seeds"] == 3 and row["n_replicates"] == 3
    assert row["n_nonfinite"] == 3 and row["n_fenced"] == 6  # summed over seeds
    assert row["kl_se"] == pytest.approx(1.0 / np.sqrt(3))


def test_single_seed_keeps_the_chunk_error():
    (row,) = summarise_over_seeds(pd.DataFrame(raw_rows([1.5]))).to_dict("records")
    assert row["kl_se"] == 0.01 and row["n_replicates"] == 5  # the chunks


def test_learned_vs_exact_uses_the_final_checkpoint():
    raw = pd.DataFrame(raw_rows([1.0, 3.0], iters=100) + raw_rows([5.0, 7.0], iters=10))
    exact = pd.DataFrame([dict(dataset="diamond", sde="active", convention="authors_nn, eps 0.001", dt_phys=0.4,
                               **{m: 0.5 for m in METRICS}, **{m + "_se": 0.1 for m in METRICS})])
    (row,) = learned_vs_exact(summarise_over_seeds(raw), exact).to_dict("records")
    assert row["kl_learned"] == 2.0 and row["kl_gap"] == 1.5
    assert row["kl_gap_se"] == pytest.approx(np.hypot(1.0, 0.1))
