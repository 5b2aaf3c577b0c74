"""Claims of Fig 3a as numbers: results/fidelity/alanine.csv."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine.tables import fidelity_rows  # noqa: E402
from activediff.evaluation.claims import table  # noqa: E402
from activediff.io import write_csv  # noqa: E402

rows = table(fidelity_rows(pd.read_csv(snakemake.input.data), pd.read_csv(snakemake.input.by_seed),
                           snakemake.params.sdes))
for r in rows.itertuples():
    log.info("%s: %.4g +- %.2g -> %s", r.claim, r.value, r.stderr, "holds" if r.holds else "does not hold")
write_csv(snakemake.output[0], rows)
