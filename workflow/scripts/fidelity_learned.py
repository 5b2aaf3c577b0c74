"""The learned-score stage's claims (error bars over training seeds): results/fidelity/learned.csv."""
import pandas as pd

from activediff.evaluation import claims
from activediff.io import log_to

log = log_to(snakemake.log[0])
settings = claims.ClaimSettings.from_config(snakemake.params.claims)
inp = snakemake.input
p = snakemake.params
context = claims.process_context(p.active, p.passive) + f"; {p.training}"
rows = claims.learned_claims(pd.read_csv(inp.summary), pd.read_csv(inp.exact), pd.read_csv(inp.floor), settings,
                             context=context)
swissroll = pd.read_csv(inp.swissroll)
rows += claims.swissroll_claims(swissroll, settings) if len(swissroll) else [claims.unmeasured_row(
    "passive fails and active resolves the Swiss rolls", "fig3b/figA3/figA4", "no Swiss-roll set is sampled")]
claims.write(snakemake.output[0], claims.table(rows))
