"""Gather the lattice models' observables: per-seed rows, the data's rows, means and standard
errors over training seeds (results/metrics/ising.csv) and the M(n) distances to the data."""
import pandas as pd

from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.io import write_csv  # noqa: E402
from activediff.ising.mcmc import load_lattices  # noqa: E402
from activediff.ising.models import curve_distances, data_rows, require_validated, summarize  # noqa: E402

per_seed = pd.concat([pd.read_csv(f) for f in snakemake.input.observables], ignore_index=True)
data, validated = [], {}
for T, lattices, validation in zip(snakemake.params.temperatures, snakemake.input.lattices,
                                  snakemake.input.validations):
    validated[T] = bool(require_validated(validation, log)["passed"])
    data.append(data_rows(load_lattices(lattices), T))
data = pd.concat(data, ignore_index=True)
summary = pd.concat([data, summarize(per_seed)], ignore_index=True)
summary["data_validated"] = summary["T"].map(validated)  # False only with on_validation_failure: record
distances = curve_distances(per_seed, data)
for (T, sde, it), d in distances.groupby(["T", "sde", "iteration"])["distance"]:
    log.info("T = %g %-8s %5d iterations: D = %.4f +- %.4f (%d seeds)", T, sde, it, d.mean(),
             d.std(ddof=1) / len(d) ** 0.5 if len(d) > 1 else float("nan"), len(d))
write_csv(snakemake.output.per_seed, per_seed)
write_csv(snakemake.output.distances, distances)
write_csv(snakemake.output.summary, summary)
