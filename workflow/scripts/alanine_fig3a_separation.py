"""Fig 3a, the beta/P_II dip: density along phi inside the basins' psi band, data and models."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine import separation as sep  # noqa: E402
from activediff.alanine.figures import fig3a_separation  # noqa: E402
from activediff.evaluation.plotting import save_figure  # noqa: E402
from activediff.io import load_npz  # noqa: E402

p = snakemake.params
data = load_npz(snakemake.input.dihedrals, ("phi", "psi"))
models = {sde: [sep.band_density(*(load_npz(f, ("phi", "psi"))[k] for k in ("phi", "psi")), p.bin_deg)
                for f in files] for sde, files in p.samples.items()}
save_figure(fig3a_separation(sep.bin_centres(p.bin_deg), sep.band_density(data["phi"], data["psi"], p.bin_deg),
                             models, pd.read_csv(snakemake.input.summary)), snakemake.output[0])
