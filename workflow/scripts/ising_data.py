"""Metropolis lattices at one temperature -> results/ising/T{T}/lattices.npz (lattices, chain, attempts)."""
from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.io import save_npz  # noqa: E402
from activediff.ising.mcmc import generate  # noqa: E402

p = snakemake.params
log.info("Ising L=%d T=%g: %d lattices, method %s, %s, device %s, seed %d",
         p.L, p.T, p.n_samples, p.method, p.options, p.device, p.seed)
samples = generate(p.L, p.T, p.n_samples, p.seed, method=p.method, device=p.device,
                   threads=snakemake.threads, progress=True, **p.options)
save_npz(snakemake.output[0], **samples.arrays())
log.info("wrote %s", snakemake.output[0])
