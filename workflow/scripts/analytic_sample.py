"""Reverse diffusion with the exact mixture score, Euler-Maruyama at one physical step size under
the stage's sampling convention (Fig 2a, A1)."""
import time

import torch

from activediff.diffusion.samplers import reverse_em_samples, reverse_time_grid
from activediff.diffusion.scores import exact_score_fn
from activediff.diffusion.sde import make_sde
from activediff.diffusion.settings import SamplingSettings
from activediff.diffusion.stability import em_amplification
from activediff.io import log_to, save_npz
from activediff.toy import data as toy

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
dt = sde.code_step(p.dt_phys)
grid = reverse_time_grid(sde.t_max, dt, s.grid, s.eps, s.denoise)
amplification = em_amplification(sde, mixture, grid)
log.info("%s on %s: dt %g physical = %g code (%d steps), %s, %d samples; EM amplification %.3f", sde, kind,
         p.dt_phys, dt, len(grid) - 1, s.label, p.n_samples, amplification)
start = time.perf_counter()
x = reverse_em_samples(sde, exact_score_fn(mixture, sde), (mixture.dim,), p.n_samples, p.seed, dt, s.eps,
                       denoise=s.denoise, batch_size=s.batch_size, grid=s.grid)
log.info("sampled in %.1f s", time.perf_counter() - start)
save_npz(snakemake.output[0], x=x, dt=dt, dt_phys=p.dt_phys, n_steps=len(grid) - 1, convention=s.label,
         em_amplification=amplification)
