"""Fig A6: decay of Fourier modes, passive vs active."""
import pandas as pd

from activediff.evaluation.plotting import save_figure
from activediff.io import log_to
from activediff.toy.figures import fourier_modes

log = log_to(snakemake.log[0])
fig = fourier_modes(pd.read_csv(snakemake.input.closed), pd.read_csv(snakemake.input.empirical))
save_figure(fig, snakemake.output[0])
