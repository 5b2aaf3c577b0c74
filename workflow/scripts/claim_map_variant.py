"""Claim map: one active variant under every sampling condition, against its two passive
comparisons (paper and temperature-matched; toy/claim_map.py); one tidy row per cell."""
import os
import sys

# One BLAS thread per job (the KDE metrics are matrix products; more threads only spin on 2 cores).
# Effective only while numpy is not imported yet (checked below).
BLAS_LIMITED = "numpy" not in sys.modules
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(snakemake.threads)

import time  # noqa: E402

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from activediff.diffusion.sde import make_sde  # noqa: E402
from activediff.io import load_npz, log_to, write_csv  # noqa: E402
from activediff.toy import claim_map, data as toy  # noqa: E402

log = log_to(snakemake.log[0])
if not BLAS_LIMITED:
    log.warning("numpy was imported before the BLAS thread limit was set")
torch.set_num_threads(snakemake.threads)
p = snakemake.params
dataset = dict(p.dataset)
mixture = toy.mixture_for(dataset.pop("kind"), **dataset)
data = load_npz(snakemake.input.data, ("x",))["x"]
sde = make_sde("active", **p.sde)
variant = claim_map.Variant(p.sde["k"], p.sde["tau"], p.sde["eta0"])
start = time.process_time()
active = claim_map.run_conditions(sde, mixture, data, [claim_map.Condition(*c) for c in p.conditions], p.metrics,
                                  p.seed, p.metrics_seed, p.batch_size, log)
log.info("%s: %d conditions in %.1f CPU s", sde, len(active), time.process_time() - start)
passive = {name: pd.read_csv(snakemake.input[name]) for name in claim_map.COMPARISONS}
table = claim_map.variant_table(variant, active, passive, p.temperatures, p.metrics["n_chunks"], p.sde["beta"])
write_csv(snakemake.output[0], table)
