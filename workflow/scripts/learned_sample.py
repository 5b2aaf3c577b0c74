"""Sample the trained models of one (dataset, process, seed) with every entry of its plan."""
import time

import torch

from activediff.devices import resolve_device
from activediff.diffusion.settings import SamplingSettings
from activediff.io import log_to, save_npz
from activediff.toy.sampling import run_plan, stability_reference
from activediff.training.checkpoints import load_score_models

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p = snakemake.params
device = resolve_device(snakemake.config["device"])
settings = SamplingSettings.from_config(p.sampling, "learned.sampling")
models = load_score_models(snakemake.input.models, p.iters, p.model, device)
coord_shape = tuple(next(iter(models.values())).net.state_shape[1:])
start = time.perf_counter()
reference = stability_reference(p.dataset, p.reference_seed)
out = run_plan(models, p.plan, coord_shape, p.n_samples, p.seed, settings, reference, device, log)
log.info("%d entries x %d samples in %.1f s on %s", len(p.plan), p.n_samples, time.perf_counter() - start, device)
save_npz(snakemake.output[0], **out)
