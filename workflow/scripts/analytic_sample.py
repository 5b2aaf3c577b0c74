"""Reverse diffusion with the exact mixture score, Euler-Maruyama at one step size (Fig 2a, A1)."""
import time

import torch

from activediff.toy import data as toy
from activediff.io import log_to, save_npz
from activediff.diffusion.samplers import reverse_em_samples, steps_for
from activediff.diffusion.scores import exact_score_fn
from activediff.diffusion.sde import make_sde
from activediff.diffusion.settings import SamplingSettings

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p = snakemake.params
dataset = dict(p.dataset)
kind = dataset.pop("kind")
mixture = toy.mixture_for(kind, **dataset)
if mixture is None:
    raise ValueError(f"analytic.datasets: {snakemake.wildcards.dataset!r} (kind {kind}) has no exact "
                     "mixture score; use a Gaussian-mixture set (diamond, multigaussian_1d/2d)")
sde = make_sde(snakemake.wildcards.sde, **p.sde)
s = SamplingSettings.from_config(p.sampling, "analytic.sampling")
n_steps = steps_for(p.dt, sde.t_max - s.eps)
log.info("%s on %s: dt=%g (%d steps), %d samples, eps=%g, denoise=%s", sde, kind, p.dt, n_steps, p.n_samples,
         s.eps, s.denoise)
start = time.perf_counter()
x = reverse_em_samples(sde, exact_score_fn(mixture, sde), (mixture.dim,), p.n_samples, p.seed, p.dt, s.eps,
                       denoise=s.denoise, batch_size=s.batch_size)
log.info("sampled in %.1f s", time.perf_counter() - start)
save_npz(snakemake.output[0], x=x, dt=p.dt, n_steps=n_steps)
