"""The learned-score stage's claims as numbers with error bars over training seeds."""
import pandas as pd

from activediff.evaluation import claims as fidelity
from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
write_csv(snakemake.output[0], fidelity.table(fidelity.learned_claims(pd.read_csv(snakemake.input[0]))))
