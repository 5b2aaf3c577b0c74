"""The analytic stage's claims: Fig 2a / A1 step sizes (exact score), Fig A8 speciation with its
temperature-matched control, Fig A6 Fourier modes: results/fidelity/analytic.csv."""
import pandas as pd

from activediff.diffusion.sde import make_sde
from activediff.evaluation import claims
from activediff.io import log_to
from activediff.toy.speciation import matched_control_times

log = log_to(snakemake.log[0])
p, inp = snakemake.params, snakemake.input
settings = claims.ClaimSettings.from_config(p.claims)
markers = pd.read_csv(inp.markers)
matched = matched_control_times(make_sde("active", **p.active), make_sde("passive", **p.passive), markers)
rows = (claims.step_size_claims(pd.read_csv(inp.table), pd.read_csv(inp.floor), settings, "fig2a/figA1",
                                "exact score", close_dataset="diamond_close",
                                context=claims.process_context(p.active, p.passive))
        + claims.speciation_claims(markers, matched, pd.concat([pd.read_csv(f) for f in inp.times]),
                                   p.n_trajectories, settings)
        + claims.fourier_claims(pd.read_csv(inp.fourier), "passive", "active (eta0 stationary)"))
claims.write(snakemake.output[0], claims.table(rows))
