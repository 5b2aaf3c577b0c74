"""Metrics of one set of exact-score samples against the data (one tidy CSV row with the
sampling conditions recorded in the sample file)."""
import pandas as pd

from activediff.evaluation.metrics import evaluate
from activediff.io import load_npz, log_to, write_csv
from activediff.toy.data import load_points

log = log_to(snakemake.log[0])
data = load_points(snakemake.input.data)
s = load_npz(snakemake.input.samples, ("x", "dt", "dt_phys", "convention", "em_amplification"))
result = evaluate(data, s["x"], seed=snakemake.params.seed, **snakemake.params.metrics)
amplification = float(s["em_amplification"])
row = dict(snakemake.wildcards.items(), dt=float(s["dt"]), dt_phys=float(s["dt_phys"]), convention=str(s["convention"]),
           em_amplification=amplification, em_stable=amplification <= 1 + 1e-9, **result)
log.info("%s", row)
write_csv(snakemake.output[0], pd.DataFrame([row]))
