"""Metrics of every entry of one model's sample file (tidy rows)."""
import pandas as pd

from activediff.evaluation.metrics import evaluate
from activediff.io import load_npz, log_to, write_csv
from activediff.toy.data import load_points
from activediff.toy.sampling import FIXED_STEP_ONLY

log = log_to(snakemake.log[0])
data = load_points(snakemake.input.data)
keys = ("sampler", "iters", "dt", "dt_phys", "convention", "em_amplification", "x", "score_evals")
s = load_npz(snakemake.input.samples, keys)
wc = snakemake.wildcards
rows = []
for sampler, iters, dt, dt_phys, convention, amplification, x, nfe in zip(*(s[k] for k in keys)):
    rows.append(dict(dataset=wc.dataset, sde=wc.sde, sampler=str(sampler), convention=str(convention),
                     seed=int(wc.seed), iters=int(iters), dt=float(dt), dt_phys=float(dt_phys), score_evals=float(nfe),
                     em_amplification=float(amplification), em_stable=not amplification > 1 + 1e-9,
                     **evaluate(data, x, seed=snakemake.params.seed, **snakemake.params.metrics)))
    log.info("%s", rows[-1])
write_csv(snakemake.output[0], pd.DataFrame(rows), not_applicable=FIXED_STEP_ONLY)
