"""The analytic stage's claims as numbers with error bars."""
import pandas as pd

from activediff.evaluation import claims as fidelity
from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
fourier = pd.read_csv(snakemake.input.fourier)
rows = (fidelity.exact_score_step_size(pd.read_csv(snakemake.input.table))
        + fidelity.speciation_order(pd.read_csv(snakemake.input.markers),
                                    pd.concat([pd.read_csv(f) for f in snakemake.input.times]))
        + fidelity.fourier_high_modes(fourier, "passive", "active (eta0 stationary)"))
write_csv(snakemake.output[0], fidelity.table(rows))
