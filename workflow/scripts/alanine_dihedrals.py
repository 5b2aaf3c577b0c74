"""phi/psi of every frame (mdtraj, peptide atoms only) of the simulated or bring-your-own runs."""
from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.alanine.dihedrals import write_dihedral_table  # noqa: E402

table = write_dihedral_table(snakemake.output[0], snakemake.params.segments, snakemake.input.topology)
log.info("%d frames from %d run(s); phi atoms %s; psi atoms %s", table["phi"].size,
         len(snakemake.params.segments), " ".join(table["phi_atom_names"]),
         " ".join(table["psi_atom_names"]))
