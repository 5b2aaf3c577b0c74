"""Paper A2.3 from the claim map: final denoising changes passive samples but not active ones."""
import pandas as pd

from activediff.evaluation import claims
from activediff.io import log_to

log = log_to(snakemake.log[0])
p = snakemake.params
settings = claims.ClaimSettings.from_config(p.claims)
rows = claims.denoising_claims(pd.read_csv(snakemake.input[0]), settings, p.n_replicates)
claims.write(snakemake.output[0], claims.table(rows))
