"""Fig A8: speciation time from the exact criterion, the toy sets on it, and the clone simulation."""
import numpy as np
import pandas as pd

from activediff.toy import speciation
from activediff.toy import data as toy
from activediff.toy.figures import speciation as speciation_figure
from activediff.io import log_to, write_csv
from activediff.evaluation.plotting import save_figure
from activediff.diffusion.sde import make_sde

log = log_to(snakemake.log[0])
p = snakemake.params
lambdas = np.geomspace(0.01, 30, 120)
criterion, markers = [], []
dataset_lambda = {}
for name, params in p.datasets.items():
    params = dict(params)
    kind = params.pop("kind")
    mixture = toy.mixture_for(kind, **params)
    cov = mixture.covariance() if mixture else np.atleast_2d(np.cov(toy.sample(kind, 20000, p.seed, **params).T))
    dataset_lambda[name] = float(np.linalg.eigvalsh(np.atleast_2d(cov)).max())
for name, params in p.sdes.items():
    sde = make_sde(name, **params)
    criterion.append(pd.DataFrame({"sde": name, "lambda": lambdas,
                                   "t_s": [speciation.speciation_time(sde, lam) for lam in lambdas]}))
    for ds, lam in dataset_lambda.items():
        markers.append(dict(sde=name, dataset=ds, **{"lambda": lam}, t_s=speciation.speciation_time(sde, lam)))
criterion = pd.concat(criterion, ignore_index=True)
markers = pd.DataFrame(markers)
write_csv(snakemake.output.criterion, criterion)
write_csv(snakemake.output.markers, markers)
simulation = pd.concat([pd.read_csv(f) for f in snakemake.input.times], ignore_index=True)
curves = pd.concat([pd.read_csv(f) for f in snakemake.input.curves], ignore_index=True)
save_figure(speciation_figure(criterion, markers, simulation, curves), snakemake.output.figure)
