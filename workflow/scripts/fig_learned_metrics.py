"""Learned-score metrics against step size, and the splitting samplers against Euler-Maruyama."""
import pandas as pd

from activediff.evaluation.plotting import save_figure
from activediff.evaluation.tables import final_checkpoint
from activediff.io import log_to
from activediff.toy.figures import metric_curves

log = log_to(snakemake.log[0])
summary = pd.read_csv(snakemake.input.summary)
reference = pd.read_csv(snakemake.input.reference)
final = final_checkpoint(summary)
em = final[final["sampler"] == "learned_em"]
scan = em.groupby("dataset")["dt_phys"].transform("nunique") > 1
save_figure(metric_curves(em[scan], reference, style="convention"), snakemake.output.em)
split_sets = set(summary.loc[summary["sampler"] == "learned_split", "dataset"])
both = final[final["dataset"].isin(split_sets) & final["sde"].isin(["active", "cld"])
             & final["sampler"].isin(["learned_em", "learned_split"])
             & (final["convention"] == final.loc[final["sampler"] == "learned_split", "convention"].iloc[0])]
both = both.assign(method=both["sampler"].map({"learned_em": "Euler-Maruyama",
                                              "learned_split": "splitting (SSCS for CLD)"}))
save_figure(metric_curves(both, reference, hue="sde", style="method"), snakemake.output.samplers)
