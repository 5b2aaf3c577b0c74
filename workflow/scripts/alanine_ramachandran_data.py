"""Ramachandran plot of the MD data, with the basin boundaries and populations."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.alanine.ramachandran import ramachandran_data_figure  # noqa: E402
from activediff.evaluation.plotting import save_figure, set_theme  # noqa: E402
from activediff.io import load_npz  # noqa: E402

set_theme()
data = load_npz(snakemake.input.dihedrals, ("phi", "psi"))
save_figure(ramachandran_data_figure(data["phi"], data["psi"], pd.read_csv(snakemake.input.basins)),
            snakemake.output[0])
