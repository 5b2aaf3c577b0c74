"""Metrics of one set of generated samples against the data (one tidy CSV row)."""
import pandas as pd

from activediff.io import load_npz, log_to, write_csv
from activediff.evaluation.metrics import evaluate

log = log_to(snakemake.log[0])
data = load_npz(snakemake.input.data, ("x",))["x"]
samples = load_npz(snakemake.input.samples, ("x",))["x"]
result = evaluate(data, samples, seed=snakemake.params.seed, **snakemake.params.metrics)
row = dict(snakemake.wildcards.items(), **result)
log.info("%s", row)
write_csv(snakemake.output[0], pd.DataFrame([row]))
