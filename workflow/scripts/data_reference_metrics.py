"""Metrics of the data against an independent draw of the same data: the floor of each metric."""
import pandas as pd

from activediff.evaluation.metrics import evaluate
from activediff.io import log_to, write_csv
from activediff.toy import data as toy

log = log_to(snakemake.log[0])
p = snakemake.params
dataset = dict(p.dataset)
kind = dataset.pop("kind")
first, second = (toy.sample(kind, p.n, seed, **dataset) for seed in p.seeds)  # two independent draws
row = dict(dataset=snakemake.wildcards.dataset, **evaluate(first, second, seed=p.metrics_seed, **p.metrics))
log.info("%s", row)
write_csv(snakemake.output[0], pd.DataFrame([row]))
