"""Entropy production along the forward and the generative process of one process (exact and
learned scores); for passive also the integral fluctuation theorem per time window."""
import re

import torch

from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
from activediff.checkpoints import load_score_model  # noqa: E402
from activediff.data import toy  # noqa: E402
from activediff.diagnostics import entropy_tables  # noqa: E402
from activediff.sde import make_sde  # noqa: E402

torch.set_num_threads(snakemake.threads)
p = snakemake.params
dataset = dict(p.dataset)
mix = toy.mixture_for(dataset.pop("kind"), **dataset)
models = {int(re.search(r"seed(\d+)/", path).group(1)): load_score_model(path) for path in snakemake.input.models}
sde = make_sde(snakemake.wildcards.sde, **p.sde)
table = entropy_tables(mix, sde, models, p.entropy, p.seed, p.parity, log)
table.insert(0, "dataset", p.dataset_name)
write_csv(snakemake.output[0], table)
