"""Claim map: one active variant under every sampling condition, against its two passive
comparisons (paper and temperature-matched; toy/claim_map.py); one tidy row per cell."""
# One BLAS thread per job (the KDE metrics are matrix products; more threads only spin on 2 cores),
# set before numpy is imported.
from activediff.threads import limit_blas_threads

BLAS_LIMITED = limit_blas_threads(snakemake.threads)

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from activediff.io import log_to, write_csv  # noqa: E402
from activediff.toy import claim_map  # noqa: E402

log = log_to(snakemake.log[0])
if not BLAS_LIMITED:
    log.warning("numpy was imported before the BLAS thread limit was set")
torch.set_num_threads(snakemake.threads)
p = snakemake.params
active = claim_map.run_job("active", p.sde, p.dataset, snakemake.input.data, p.conditions, p.metrics, p.seed,
                           p.metrics_seed, p.batch_size, log)
passive = {name: pd.read_csv(snakemake.input[name]) for name in claim_map.COMPARISONS}
variant = claim_map.Variant(p.sde["k"], p.sde["tau"], p.sde["eta0"])
write_csv(snakemake.output[0], claim_map.variant_table(variant, active, passive, p.temperatures,
                                                       p.metrics["n_chunks"], p.sde["beta"]),
          not_applicable=claim_map.UNTESTABLE)
