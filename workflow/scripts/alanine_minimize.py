"""Steepest-descent minimisation of the solvated system."""
import os
import shutil
from pathlib import Path

from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.alanine.gromacs import run_minimization  # noqa: E402

out = snakemake.output
work = Path(out.structure).with_name("em.work")
shutil.rmtree(work, ignore_errors=True)
stem = run_minimization(snakemake.params.mdp, conf=Path(snakemake.input.structure),
                        topology=Path(snakemake.input.topology), work_dir=work,
                        threads=snakemake.threads, gmx=snakemake.params.gmx)
os.replace(f"{stem}.log", out.md_log)
os.replace(f"{stem}.gro", out.structure)
shutil.rmtree(work)
