"""Roll positions and spiral resolution of every learned Swiss-roll sample file (Fig 3b, A3, A4)."""
import pandas as pd

from activediff.evaluation.tables import summarise_measures
from activediff.io import log_to, write_csv
from activediff.toy.data import load_points
from activediff.toy.swissroll import sample_file_rows

MEASURES = ["occupancy_tv", "spiral_ratio"]

log = log_to(snakemake.log[0])
p = snakemake.params
rows = []
for (dataset, sde, seed), data_path, samples_path in zip(p.sample_keys, snakemake.input.data, snakemake.input.samples):
    data = load_points(data_path)
    rows += sample_file_rows(data, samples_path, dataset, p.datasets[dataset], sde, seed)
by_seed = pd.DataFrame(rows)
write_csv(snakemake.output.by_seed, by_seed)
summary = summarise_measures(by_seed, MEASURES)
write_csv(snakemake.output.summary, summary, not_applicable=[m + "_se" for m in MEASURES])  # one seed: no spread
log.info("%d rows", len(by_seed))
