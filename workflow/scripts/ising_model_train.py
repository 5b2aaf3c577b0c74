"""Train one score model on one temperature's validated Ising lattices; writes every checkpoint."""

from activediff.io import log_to

log = log_to(snakemake.log[0])
# Imported after the redirect, so that an import failure lands in the rule's log.
from activediff.diffusion.sde import make_sde  # noqa: E402
from activediff.ising.mcmc import load_lattices  # noqa: E402
from activediff.ising.models import LatticeData, require_validated  # noqa: E402
from activediff.seeding import derive_seed  # noqa: E402
from activediff.training.train import TrainSettings, train  # noqa: E402

p = snakemake.params
require_validated(snakemake.input.validation, log)
data = LatticeData(load_lattices(snakemake.input.lattices, L=p.L), p.n_train, derive_seed(p.seed, "subset"),
                   source=snakemake.input.lattices)
settings = TrainSettings.from_config(p.training)
sde = make_sde(snakemake.wildcards.sde, **p.sde)
paths = dict(zip(settings.checkpoints, snakemake.output.checkpoints))  # both in increasing order
log.info("training %s (mixed score %s) at T = %g on %d lattices, seed %d, %d iterations of batch %d, "
         "device %s, %d thread(s)", sde, settings.mixed_score, p.T, data.lattices.shape[0], p.seed,
         settings.iterations, settings.batch_size, p.device, snakemake.threads)
train(settings, sde, data, data.spec(p.T), p.seed, paths, snakemake.output.log_csv, p.state_dir,
      device=p.device, threads=snakemake.threads)
log.info("wrote %s", ", ".join(snakemake.output.checkpoints))
