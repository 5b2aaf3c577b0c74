"""Train the score models of every seed of one (dataset, process) as one batched network, on a toy
set or on the alanine dihedrals; writes every configured checkpoint and a training log per seed."""
import functools

from activediff.io import log_to

log = log_to(snakemake.log[0])
# Imported after the redirect, so that an import failure lands in the rule's log.
from activediff.alanine.models import DATA_KIND as ALANINE_KIND
from activediff.alanine.models import training_data
from activediff.diffusion.sde import make_sde
from activediff.toy import data as toy
from activediff.training.ensemble import train_ensemble
from activediff.training.train import TrainSettings

p = snakemake.params
dataset = dict(p.dataset)
kind = dataset.pop("kind")
settings = TrainSettings.from_config(p.training)
sde = make_sde(snakemake.wildcards.sde, **p.sde)
seeds = list(p.seeds)
# Outputs are listed seed by seed (the order of params.seeds), each seed's checkpoints in increasing
# iteration order (that of settings.checkpoints).
outputs, n = list(snakemake.output.checkpoints), len(settings.checkpoints)
if len(outputs) != n * len(seeds) or len(snakemake.output.log_csv) != len(seeds):
    raise ValueError(f"{len(outputs)} checkpoint and {len(snakemake.output.log_csv)} log outputs for "
                     f"{len(seeds)} seeds x {n} checkpoints")
paths = [dict(zip(settings.checkpoints, outputs[k * n:(k + 1) * n])) for k in range(len(seeds))]
if kind == ALANINE_KIND:   # frames of results/alanine/dihedrals.npz in the recorded chart
    data_fn, data_spec = training_data(snakemake.input.dihedrals, snakemake.input.chart)
else:
    data_fn, data_spec = functools.partial(toy.sample, kind, **dataset), p.dataset
log.info("training %s on %s %s, seeds %s as one ensemble, %d iterations, device %s, %d thread(s)", sde, kind,
         data_spec, seeds, settings.iterations, p.device, snakemake.threads)
train_ensemble(settings, sde, data_fn, data_spec, seeds, paths, list(snakemake.output.log_csv), p.state_dir,
               device=p.device, threads=snakemake.threads)
log.info("wrote %s", ", ".join(outputs))
