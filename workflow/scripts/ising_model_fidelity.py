"""Claims of Fig 4 and A7 as numbers: results/fidelity/ising.csv."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.evaluation.claims import table  # noqa: E402
from activediff.io import write_csv  # noqa: E402
from activediff.ising.models import fidelity_rows  # noqa: E402

rows = table(fidelity_rows(pd.read_csv(snakemake.input.distances), snakemake.params.sdes))
for r in rows.itertuples():
    log.info("%s [%s]: %.4g +- %.2g -> %s", r.claim, r.setting, r.value, r.stderr, "holds" if r.holds else "does not hold")
write_csv(snakemake.output[0], rows)
