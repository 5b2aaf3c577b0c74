"""Entropy production along the forward and the generative process of one process (exact and
learned scores); for passive also the integral fluctuation theorem per time window."""
import torch

from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
from activediff.diagnostics.settings import EntropySettings  # noqa: E402
from activediff.diagnostics.tables import entropy_tables, load_inputs  # noqa: E402
from activediff.diffusion.sde import make_sde  # noqa: E402

torch.set_num_threads(snakemake.threads)
p = snakemake.params
mix, models = load_inputs(p.dataset, p.seeds, snakemake.input.models, p.models)
settings = EntropySettings.from_config(p.entropy)
table = entropy_tables(mix, make_sde(snakemake.wildcards.sde, **p.sde), models, settings, p.seed, log)
table.insert(0, "dataset", p.dataset_name)
write_csv(snakemake.output[0], table)
