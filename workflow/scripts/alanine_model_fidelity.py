"""Claims of Fig 3a: results/fidelity/alanine.csv."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine.tables import fidelity_rows  # noqa: E402
from activediff.evaluation.claims import ClaimSettings, table, write  # noqa: E402

settings = ClaimSettings.from_config(snakemake.params.claims)
separation = pd.read_csv(snakemake.input.separation)
data_row = pd.read_csv(snakemake.input.separation_summary).set_index("source").loc["data"]
dip = not separation.empty
rows = table(fidelity_rows(pd.read_csv(snakemake.input.data), pd.read_csv(snakemake.input.by_seed),
                           snakemake.params.sdes, settings, separation=separation if dip else None,
                           data_contrast=float(data_row["contrast"]) if dip else None,
                           no_dip="" if dip else str(data_row["error_from"])))
for r in rows.itertuples():
    log.info("%s: %.4g +- %.2g (dof %s) -> %s", r.claim, r.value, r.stderr, r.dof, r.verdict)
write(snakemake.output[0], rows)
