"""GFDT response functions: Langevin in the diamond potential (exact and learned passive score,
Gaussian FDT, kicks) and the stationary active OU process (exact e^{At})."""
import re

import torch

from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
from activediff.checkpoints import load_score_model  # noqa: E402
from activediff.data import toy  # noqa: E402
from activediff.diagnostics import response_tables  # noqa: E402
from activediff.sde import make_sde  # noqa: E402

torch.set_num_threads(snakemake.threads)
p = snakemake.params
dataset = dict(p.dataset)
mix = toy.mixture_for(dataset.pop("kind"), **dataset)
models = {int(re.search(r"seed(\d+)/", path).group(1)): load_score_model(path) for path in snakemake.input.models}
passive = make_sde("passive", **p.passive)
active = make_sde("active", **p.active)
curves, errors = response_tables(mix, passive, active, models, p.response, p.seed, log)
write_csv(snakemake.output.curves, curves)
write_csv(snakemake.output.errors, errors)
