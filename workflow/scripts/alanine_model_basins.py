"""Basin populations of the MD data and of each process (mean over training seeds, errors from
seeds and bootstrap): results/metrics/alanine_basins.csv."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine.tables import summarise_basins  # noqa: E402
from activediff.io import write_csv  # noqa: E402

by_seed = pd.concat([pd.read_csv(f) for f in snakemake.input.models], ignore_index=True)
table = summarise_basins(pd.read_csv(snakemake.input.data), by_seed)
log.info("\n%s", table.to_string(index=False))
write_csv(snakemake.output.by_seed, by_seed)
write_csv(snakemake.output.summary, table)
