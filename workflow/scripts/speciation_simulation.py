"""Cloned reverse trajectories on symmetric two-Gaussian sets: simulated speciation times (Fig A8)."""
import numpy as np
import pandas as pd
import torch

from activediff.diffusion.sde import make_sde
from activediff.io import log_to, write_csv
from activediff.toy import speciation

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.speciation
sde = make_sde(snakemake.wildcards.sde, **snakemake.params.sde)
std = cfg["component_std"]
clone_times = np.linspace(0.01, sde.t_max * 0.95, cfg["n_clone_times"])
curves, times = [], []
for i, separation in enumerate(cfg["separations"]):
    mean = separation / 2
    lam = mean**2 + std**2
    curve = speciation.same_basin_probability(sde, mean, std, clone_times, cfg["n_trajectories"], cfg["n_steps"],
                                              snakemake.params.seed + i)
    curves.append(curve.assign(separation=separation))
    t_sim = speciation.crossing_time(curve)
    upper = speciation.crossing_time(curve.assign(same_basin=curve["same_basin"] + curve["same_basin_se"]))
    lower = speciation.crossing_time(curve.assign(same_basin=curve["same_basin"] - curve["same_basin_se"]))
    times.append(dict(sde=sde.name, separation=separation, **{"lambda": lam}, t_sim=t_sim,
                      t_sim_se=abs(upper - lower) / 2, t_criterion=speciation.speciation_time(sde, lam)))
    log.info("%s", times[-1])
write_csv(snakemake.output.curves, pd.concat(curves, ignore_index=True).assign(sde=sde.name))
write_csv(snakemake.output.times, pd.DataFrame(times), not_applicable=speciation.NEVER)
