"""How fast the exact score changes along diffusion time, per process (section IV hypothesis)."""
import numpy as np
import pandas as pd
import torch

from activediff.diagnostics.score_variation import log_time_mean, score_time_variation
from activediff.diffusion.sde import make_sde, temperature_matched_passive
from activediff.io import log_to, write_csv
from activediff.seeding import derive_seed
from activediff.toy.data import mixture_for

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p = snakemake.params
params = dict(p.dataset)
mix = mixture_for(params.pop("kind"), **params)
active = make_sde("active", **p.active)
processes = {"passive": make_sde("passive", **p.passive), "active": active,
             "passive (temperature-matched)": temperature_matched_passive(active), "cld": make_sde("cld", **p.cld)}
times = np.geomspace(p.times["t_min"], active.t_max, p.times["n_times"])
curves, summary = [], []
for name, sde in processes.items():
    curve = score_time_variation(mix, sde, times, p.times["n_samples"], derive_seed(p.seed, name)).assign(process=name)
    mean, se = log_time_mean(curve)
    summary.append(dict(dataset=p.dataset_name, process=name, mean=mean, se=se, t_min=times[0], t_max=times[-1]))
    log.info("%s: R = %.4f +- %.4f", name, mean, se)
    curves.append(curve)
write_csv(snakemake.output.curves, pd.concat(curves, ignore_index=True))
write_csv(snakemake.output.summary, pd.DataFrame(summary))
