"""Ising data figure: energy histograms with the exact mean, and M(n), per temperature."""
import json

from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.evaluation.plotting import save_figure  # noqa: E402
from activediff.ising.data_figures import ising_data_figure  # noqa: E402

reports = [json.loads(open(path).read()) for path in snakemake.input.validations]
save_figure(ising_data_figure(reports), snakemake.output[0])
