"""Sample every checkpoint of one lattice model (PF-ODE, denoising, discretisation) and compute
the observables of each generated set."""
import time

import torch

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.devices import resolve_device  # noqa: E402
from activediff.diffusion.settings import SamplingSettings  # noqa: E402
from activediff.io import save_npz, write_csv  # noqa: E402
from activediff.ising.models import sample_checkpoints  # noqa: E402
from activediff.training.checkpoints import load_score_models  # noqa: E402

torch.set_num_threads(snakemake.threads)
p, wc = snakemake.params, snakemake.wildcards
device = resolve_device(p.device)
settings = SamplingSettings.from_config(p.sampling, "ising_models.sampling")
models = load_score_models(snakemake.input.checkpoints, p.iters, p.model, device)
start = time.perf_counter()
arrays, rows = sample_checkpoints(models, p.n_samples, settings, p.cutoff, p.seed, device,
                                  keys=dict(T=float(wc.T), sde=wc.sde, seed=int(wc.seed)), log=log)
log.info("%d checkpoints x %d lattices in %.1f s on %s", len(models), p.n_samples,
         time.perf_counter() - start, device)
save_npz(snakemake.output.samples, **arrays)
write_csv(snakemake.output.observables, rows)
