"""Claims of Fig 4 and A7: results/fidelity/ising.csv."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.evaluation.claims import ClaimSettings, table, write  # noqa: E402
from activediff.ising.models import fidelity_rows  # noqa: E402

settings = ClaimSettings.from_config(snakemake.params.claims)
rows = table(fidelity_rows(pd.read_csv(snakemake.input.distances), snakemake.params.sdes, settings))
for r in rows.itertuples():
    log.info("%s [%s]: %.4g +- %.2g (dof %s) -> %s", r.claim, r.conditions, r.value, r.stderr, r.dof, r.verdict)
write(snakemake.output[0], rows)
