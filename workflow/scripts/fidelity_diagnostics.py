"""Section IV hypotheses the pipeline can test: results/fidelity/diagnostics.csv."""
import pandas as pd

from activediff.evaluation import claims
from activediff.io import log_to

log = log_to(snakemake.log[0])
p, inp = snakemake.params, snakemake.input
settings = claims.ClaimSettings.from_config(p.claims)
rows = (claims.entropy_production_claims(pd.read_csv(inp.entropy), p.n_entropy, settings)
        + claims.score_variation_claims(pd.read_csv(inp.variation), p.n_variation, settings))
claims.write(snakemake.output[0], claims.table(rows))
