"""The (phi, psi) chart of the alanine models: each angle's seam, from the data (or plain)."""
from activediff.io import log_to

log = log_to(snakemake.log[0])
from activediff.alanine.models import chart_record  # noqa: E402
from activediff.io import load_npz, write_json  # noqa: E402

data = load_npz(snakemake.input[0], ("phi", "psi"))
record = chart_record(data["phi"], data["psi"], snakemake.params.chart, snakemake.params.seam_bin_deg)
log.info("chart %s: phi seam %.1f deg, psi seam %.1f deg (%d frames)", record["chart"], record["seam_phi"],
         record["seam_psi"], record["n_frames"])
write_json(snakemake.output[0], record)
