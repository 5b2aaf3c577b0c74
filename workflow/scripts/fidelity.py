"""Collect every stage's claim table into results/fidelity.csv."""
import pandas as pd

from activediff.evaluation import claims
from activediff.io import log_to

log = log_to(snakemake.log[0])
claims.write(snakemake.output[0], pd.concat([claims.read(f) for f in snakemake.input], ignore_index=True))
