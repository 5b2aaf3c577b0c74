"""GROMACS system: pdb2gmx, cubic box, water, NaCl; built in a work folder, then moved into place."""
import os
import shutil
from pathlib import Path

from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.alanine.gromacs import count_molecules, prepare_system  # noqa: E402

out = snakemake.output
work = Path(out.topology).parent.with_name("system.work")
shutil.rmtree(work, ignore_errors=True)
p = snakemake.params
files = prepare_system(Path(snakemake.input[0]), work, salt_molar=p.salt_molar,
                       box_margin_nm=p.box_margin_nm, force_field=p.force_field, water=p.water,
                       seed=p.seed, gmx=p.gmx)
log.info("molecules: %s", count_molecules(files["topology"]))
for key in ("restraints", "topology", "structure"):
    os.replace(files[key], out[key])
shutil.rmtree(work)
