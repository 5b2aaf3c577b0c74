"""Concatenate per-run metric rows into tidy tables."""
import pandas as pd

from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
table = pd.concat([pd.read_csv(f) for f in snakemake.input.rows], ignore_index=True)
table = table.drop(columns=["run"]).sort_values(["dataset", "sde", "dt_phys"], ignore_index=True)
write_csv(snakemake.output.table, table)
write_csv(snakemake.output.reference, pd.concat([pd.read_csv(f) for f in snakemake.input.reference],
                                                ignore_index=True))
log.info("%d rows", len(table))
