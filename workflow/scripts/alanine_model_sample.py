"""Generate (phi, psi) samples from one trained alanine model (adaptive PF-ODE) and count them
into the Ramachandran basins (ordinary bootstrap errors)."""
import time

import torch

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine.basins import basin_populations  # noqa: E402
from activediff.alanine.models import read_chart, sample_dihedrals  # noqa: E402
from activediff.devices import resolve_device  # noqa: E402
from activediff.diffusion.settings import SamplingSettings  # noqa: E402
from activediff.io import save_npz, write_csv  # noqa: E402
from activediff.training.checkpoints import load_score_model  # noqa: E402

torch.set_num_threads(snakemake.threads)
p, wc = snakemake.params, snakemake.wildcards
device = resolve_device(p.device)
model = load_score_model(snakemake.input.checkpoint, device=device, expect=p.model)
chart, _ = read_chart(snakemake.input.chart)
settings = SamplingSettings.from_config(p.sampling, "alanine.models.sampling")
start = time.perf_counter()
out = sample_dihedrals(model, chart, p.n_samples, p.seed, settings, device)
log.info("%d samples in %.1f s on %s, %.0f score evaluations per sample", p.n_samples,
         time.perf_counter() - start, device, out["score_evals"].mean())
save_npz(snakemake.output.samples, **out)
table = basin_populations(out["phi"], out["psi"], block_length=1, n_bootstrap=p.n_bootstrap, seed=p.bootstrap_seed)
table.insert(0, "seed", int(wc.seed))
table.insert(0, "sde", wc.sde)
log.info("\n%s", table.to_string(index=False))
write_csv(snakemake.output.basins, table)
