"""Train one score model on a toy set or on the alanine dihedrals; writes every configured
checkpoint and the training log."""
import functools

from activediff.io import log_to

log = log_to(snakemake.log[0])
# Imported after the redirect, so that an import failure lands in the rule's log.
from activediff.alanine.models import DATA_KIND as ALANINE_KIND, training_data
from activediff.toy import data as toy
from activediff.diffusion.sde import make_sde
from activediff.training.train import TrainSettings, train

p = snakemake.params
dataset = dict(p.dataset)
kind = dataset.pop("kind")
settings = TrainSettings.from_config(p.training)
sde = make_sde(snakemake.wildcards.sde, **p.sde)
paths = dict(zip(settings.checkpoints, snakemake.output.checkpoints))  # both in increasing order
if kind == ALANINE_KIND:   # frames of results/alanine/dihedrals.npz in the recorded chart
    data_fn, data_spec = training_data(snakemake.input.dihedrals, snakemake.input.chart)
else:
    data_fn, data_spec = functools.partial(toy.sample, kind, **dataset), p.dataset
log.info("training %s on %s %s, seed %d, %d iterations, device %s, %d thread(s)", sde, kind, data_spec, p.seed,
         settings.iterations, p.device, snakemake.threads)
train(settings, sde, data_fn, data_spec, p.seed, paths, snakemake.output.log_csv, p.state_dir, device=p.device,
      threads=snakemake.threads)
log.info("wrote %s", ", ".join(snakemake.output.checkpoints))
