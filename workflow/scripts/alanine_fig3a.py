"""Fig 3a: Ramachandran plots of the MD data and of the three models (samples pooled over seeds)."""
import numpy as np
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine.figures import fig3a  # noqa: E402
from activediff.evaluation.plotting import save_figure  # noqa: E402
from activediff.io import load_npz  # noqa: E402

data = load_npz(snakemake.input.dihedrals, ("phi", "psi"))
panels = {"data": (data["phi"], data["psi"])}
for sde, files in snakemake.params.samples.items():   # {process: its seeds' sample files}
    arrays = [load_npz(f, ("phi", "psi")) for f in files]
    panels[sde] = tuple(np.concatenate([a[k] for a in arrays]) for k in ("phi", "psi"))
save_figure(fig3a(panels, pd.read_csv(snakemake.input.basins)), snakemake.output[0])
