"""Draw a toy dataset (docs/theory.md 4.3) and store it as results/data/{dataset}.npz (key x)."""
from activediff.io import log_to, save_npz
from activediff.toy import data as toy

log = log_to(snakemake.log[0])
params = dict(snakemake.params.dataset)
kind = params.pop("kind")
x = toy.sample(kind, snakemake.params.n, snakemake.params.seed, **params)
log.info("drew %d points of %s %s (seed %d)", len(x), kind, params, snakemake.params.seed)
save_npz(snakemake.output[0], x=x)
