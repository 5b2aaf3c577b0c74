"""Fig D1 (response functions) and Fig D2 (entropy production), and the entropy table."""
import pandas as pd

from activediff.io import log_to, write_csv

log = log_to(snakemake.log[0])
from activediff.diagnostics.figures import entropy_figure, response_figure  # noqa: E402
from activediff.evaluation.plotting import save_figure  # noqa: E402

if snakemake.rule == "fig_response":
    save_figure(response_figure(pd.read_csv(snakemake.input.curves), pd.read_csv(snakemake.input.errors)),
                snakemake.output.figure)
else:
    table = pd.concat([pd.read_csv(f) for f in snakemake.input.parts], ignore_index=True)
    write_csv(snakemake.output.table, table)
    save_figure(entropy_figure(table), snakemake.output.figure)
