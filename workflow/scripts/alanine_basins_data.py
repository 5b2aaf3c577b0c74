"""Basin populations of the MD data with block-bootstrap error bars."""
from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])

from activediff.alanine.dihedrals import md_basin_populations  # noqa: E402

p = snakemake.params
table = md_basin_populations(snakemake.input[0], block_ps=p.block_ps, n_bootstrap=p.n_bootstrap,
                             seed=p.seed)
write_csv(snakemake.output[0], table)
log.info("\n%s", table.to_string(index=False))
