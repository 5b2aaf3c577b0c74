"""Fourier-mode decay of the forward kernel: closed form and simulated paths (Fig A6)."""
import numpy as np
import pandas as pd
import torch

from activediff.diffusion.sde import make_sde
from activediff.io import log_to, write_csv
from activediff.toy import fourier_modes

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
f = snakemake.params.fourier
closed, empirical = [], []
for label, (name, params) in snakemake.params.processes.items():
    sde = make_sde(name, **params)
    times = np.geomspace(f["t_min"], sde.t_max, f["n_times"])
    closed.append(fourier_modes.closed_form(sde, f["q_values"], times).assign(process=label))
    sim_times = times[:: max(1, len(times) // 15)]
    empirical.append(fourier_modes.empirical(sde, f["q_values"], sim_times, f["x0"], f["n_samples"],
                                             snakemake.params.seed).assign(process=label))
    log.info("%s done", label)
write_csv(snakemake.output.closed, pd.concat(closed, ignore_index=True))
write_csv(snakemake.output.empirical, pd.concat(empirical, ignore_index=True))
