"""The beta/P_II dip contrast (activediff.alanine.separation) of the MD data and of every model:
results/metrics/alanine/separation_by_seed.csv and results/metrics/alanine_separation.csv."""
from activediff.io import log_to

log = log_to(snakemake.log[0])
import pandas as pd  # noqa: E402

from activediff.alanine import separation as sep  # noqa: E402
from activediff.alanine.dihedrals import frame_block_length  # noqa: E402
from activediff.io import load_npz, write_csv  # noqa: E402

p = snakemake.params
data = load_npz(snakemake.input.dihedrals, ("phi", "psi", "time_ps", "segment"))
rho = sep.band_density(data["phi"], data["psi"], p.bin_deg)
bins = sep.dip_bins(rho, p.bin_deg)
if bins is None:
    why = (f"the MD data show no beta and P_II peaks with a lower bin between them at {p.bin_deg} degree bins "
           f"({len(data['phi'])} frames)")
    log.warning("%s: no dip contrast", why)
    by_seed = pd.DataFrame(columns=["sde", "seed", "contrast", "rho_beta", "rho_p_ii", "rho_dip", "n_points"])
    summary = pd.DataFrame([dict(source="data", contrast=0.5, stderr=0.0, error_from=f"no dip: {why}", n=1,
                                 distance_to_data=0.0, distance_stderr=0.0)], columns=sep.SUMMARY_COLUMNS[:7])
else:
    block = frame_block_length(data["time_ps"], data["segment"], p.block_ps)
    boot = sep.data_contrast_bootstrap(data["phi"], data["psi"], data["segment"], block, bins, p.bin_deg,
                                       p.n_bootstrap, p.seed)
    models = []
    for (sde, seed), path in zip(p.models, snakemake.input.samples, strict=True):
        sample = load_npz(path, ("phi", "psi"))
        models.append((sde, seed, sample["phi"], sample["psi"]))
    by_seed = sep.per_model_contrasts(models, bins, p.bin_deg)
    summary = sep.summarise(sep.contrast(rho, bins), boot, by_seed, bins, p.bin_deg, p.sdes)
log.info("\n%s\n%s", by_seed.to_string(index=False), summary.to_string(index=False))
write_csv(snakemake.output.by_seed, by_seed)
write_csv(snakemake.output.summary, summary)
