"""Metrics of every entry of one model's sample file (tidy rows)."""
import pandas as pd

from activediff.io import load_npz, log_to, write_csv
from activediff.evaluation.metrics import evaluate

log = log_to(snakemake.log[0])
data = load_npz(snakemake.input.data, ("x",))["x"]
s = load_npz(snakemake.input.samples, ("sampler", "iters", "dt", "x", "score_evals"))
wc = snakemake.wildcards
rows = []
for sampler, iters, dt, x, nfe in zip(s["sampler"], s["iters"], s["dt"], s["x"], s["score_evals"]):
    rows.append(dict(dataset=wc.dataset, sde=wc.sde, sampler=str(sampler), seed=int(wc.seed), iters=int(iters),
                     dt=float(dt), score_evals=float(nfe),
                     **evaluate(data, x, seed=snakemake.params.seed, **snakemake.params.metrics)))
    log.info("%s", rows[-1])
write_csv(snakemake.output[0], pd.DataFrame(rows))
