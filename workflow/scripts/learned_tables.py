"""Learned-score metrics: per seed, summarised over training seeds, and against the exact score."""
import pandas as pd

from activediff.evaluation.tables import learned_vs_exact, summarise_over_seeds
from activediff.io import log_to, write_csv
from activediff.toy.sampling import FIXED_STEP_ONLY

log = log_to(snakemake.log[0])
raw = pd.concat([pd.read_csv(f) for f in snakemake.input.rows], ignore_index=True)
raw = raw.sort_values(["dataset", "sde", "sampler", "convention", "iters", "dt_phys", "seed"], ignore_index=True)
summary = summarise_over_seeds(raw)
write_csv(snakemake.output.raw, raw, not_applicable=FIXED_STEP_ONLY)
write_csv(snakemake.output.summary, summary, not_applicable=FIXED_STEP_ONLY)
write_csv(snakemake.output.gap, learned_vs_exact(summary, pd.read_csv(snakemake.input.exact)))
write_csv(snakemake.output.reference, pd.concat([pd.read_csv(f) for f in snakemake.input.reference],
                                                ignore_index=True))
log.info("%d runs, %d summary rows", len(raw), len(summary))
