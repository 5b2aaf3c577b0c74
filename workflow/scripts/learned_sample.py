"""Sample the trained models of one (dataset, process, seed) with every entry of its plan."""
import re
import time

import torch

from activediff.training.checkpoints import load_score_model
from activediff.io import log_to, save_npz
from activediff.toy.sampling import run_plan
from activediff.training.train import resolve_device

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p = snakemake.params
device = resolve_device(snakemake.config["device"])
models = {int(re.search(r"ckpt_(\d+)\.pt$", path).group(1)): load_score_model(path, device=device)
          for path in snakemake.input.models}
coord_shape = tuple(next(iter(models.values())).net.state_shape[1:])
start = time.perf_counter()
out = run_plan(models, p.plan, coord_shape, p.n_samples, p.seed, p.eps, p.ode["rtol"], p.ode["atol"], device, log)
log.info("%d entries x %d samples in %.1f s on %s", len(p.plan), p.n_samples, time.perf_counter() - start, device)
save_npz(snakemake.output[0], **out)
