"""Fig A8: speciation time from the exact criterion, the toy sets on it, and the clone simulation."""
import pandas as pd

from activediff.diffusion.sde import make_sde
from activediff.evaluation.plotting import save_figure
from activediff.io import log_to, write_csv
from activediff.toy import speciation
from activediff.toy.figures import speciation as speciation_figure

log = log_to(snakemake.log[0])
p = snakemake.params
sdes = {name: make_sde(name, **params) for name, params in p.sdes.items()}
criterion = speciation.criterion_table(sdes, speciation.LAMBDA_GRID)
markers = speciation.marker_table(sdes, speciation.dataset_lambdas(p.datasets, p.seed))
write_csv(snakemake.output.criterion, criterion, not_applicable=speciation.NEVER)
write_csv(snakemake.output.markers, markers, not_applicable=speciation.NEVER)
simulation = pd.concat([pd.read_csv(f) for f in snakemake.input.times], ignore_index=True)
curves = pd.concat([pd.read_csv(f) for f in snakemake.input.curves], ignore_index=True)
save_figure(speciation_figure(criterion, markers, simulation, curves), snakemake.output.figure)
