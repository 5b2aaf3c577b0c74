"""GFDT response functions: Langevin in the diamond potential (exact and learned passive score,
Gaussian FDT, kicks) and the stationary active OU process (exact e^{At})."""
import torch

from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
from activediff.diagnostics.settings import ResponseSettings  # noqa: E402
from activediff.diagnostics.tables import load_inputs, response_tables  # noqa: E402
from activediff.diffusion.sde import make_sde  # noqa: E402

torch.set_num_threads(snakemake.threads)
p = snakemake.params
mix, models = load_inputs(p.dataset, p.seeds, snakemake.input.models, p.models)
settings = ResponseSettings.from_config(p.response, score_time=p.score_time)
curves, errors = response_tables(mix, make_sde("passive", **p.passive), make_sde("active", **p.active), models,
                                 settings, p.seed, log)
write_csv(snakemake.output.curves, curves)
write_csv(snakemake.output.errors, errors, not_applicable=("score_rel_error",))  # rows without a learned score
