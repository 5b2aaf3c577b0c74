"""Claim map: every variant's rows in one table (results/metrics/claim_map.csv)."""
import pandas as pd

from activediff.io import log_to, write_csv
from activediff.toy import claim_map

log = log_to(snakemake.log[0])
table = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)
log.info("%d rows from %d variants", len(table), len(snakemake.input))
write_csv(snakemake.output[0], table, not_applicable=claim_map.UNTESTABLE)
