"""Claim map heat map (results/figures/claim_map.png + .pdf; toy/claim_map_figure.py)."""
import pandas as pd

from activediff.evaluation.plotting import save_figure
from activediff.io import log_to
from activediff.toy.claim_map_figure import claim_map

log = log_to(snakemake.log[0])
save_figure(claim_map(pd.read_csv(snakemake.input[0]), alpha=snakemake.params.alpha), snakemake.output[0])
