"""Where every value the paper's text lost comes from, with the value this run used."""
from activediff.evaluation.sources import ledger
from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
table = ledger(snakemake.params.config)
log.info("\n%s", table.to_string(index=False))
write_csv(snakemake.output[0], table)
