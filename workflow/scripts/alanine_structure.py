"""ACE-ALA-NME starting structure from internal coordinates at the configured phi/psi."""
from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.alanine.structure import write_alanine_dipeptide_pdb  # noqa: E402

write_alanine_dipeptide_pdb(snakemake.output[0], phi=snakemake.params.phi, psi=snakemake.params.psi)
log.info("wrote %s (phi=%g, psi=%g)", snakemake.output[0], snakemake.params.phi, snakemake.params.psi)
