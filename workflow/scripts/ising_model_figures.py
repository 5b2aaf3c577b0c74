"""Fig 4 (M(n) at the first checkpoint), Fig A7 (M(n) over training) and the observables figure."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.evaluation.plotting import save_figure  # noqa: E402
from activediff.ising.model_figures import fig4, fig_a7, observables_figure  # noqa: E402

summary = pd.read_csv(snakemake.input.summary)
distances = pd.read_csv(snakemake.input.distances)
save_figure(fig4(summary), snakemake.output.fig4)
save_figure(fig_a7(summary), snakemake.output.figA7)
save_figure(observables_figure(summary, distances), snakemake.output.observables)
