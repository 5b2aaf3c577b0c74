"""Metrics against step size for the exact-score samplers (companion of Fig 2a / A1)."""
import pandas as pd

from activediff.evaluation.plotting import save_figure
from activediff.io import log_to
from activediff.toy.figures import metric_curves

log = log_to(snakemake.log[0])
fig = metric_curves(pd.read_csv(snakemake.input.table), pd.read_csv(snakemake.input.reference))
save_figure(fig, snakemake.output[0])
