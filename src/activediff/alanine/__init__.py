"""The alanine-dipeptide stage: the peptide built from internal coordinates, the GROMACS chain,
mdtraj dihedrals, Ramachandran basins, the (phi, psi) score models, their tables and figures."""
