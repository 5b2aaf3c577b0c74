"""One GROMACS dynamics stage (NVT, NPT or a production chunk), resumable from its checkpoint:
a rerun after a kill or a -maxh stop continues in the same work folder."""
import os
import shutil
from pathlib import Path

from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.alanine.gromacs import run_resumable  # noqa: E402

# Output name -> file GROMACS writes for the run stem.
SUFFIX = {"gro": ".gro", "cpt": ".cpt", "xtc": ".xtc", "edr": ".edr", "md_log": ".log"}

inp, out, p = snakemake.input, snakemake.output, snakemake.params
# maxh 0: stop cleanly before the job's wall-time limit (the runtime resource, minutes).
maxh = 0.95 * snakemake.resources.runtime / 60.0 if p.maxh == 0 else p.maxh
work = Path(out.gro).with_suffix(".work")
stem = run_resumable(
    p.mdp, step=snakemake.rule, conf=Path(inp.structure), topology=Path(inp.topology),
    work_dir=work, threads=snakemake.threads,
    checkpoint=Path(inp.checkpoint) if "checkpoint" in inp.keys() else None,
    restraint_ref=Path(inp.restraint_ref) if "restraint_ref" in inp.keys() else None,
    maxh=maxh, checkpoint_minutes=p.checkpoint_minutes, reproducible=p.reproducible, gmx=p.gmx)
for key in out.keys():
    os.replace(f"{stem}{SUFFIX[key]}", out[key])
shutil.rmtree(work)
