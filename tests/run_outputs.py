"""What two correct runs of the workflow share: every file under results/, byte for byte, except
the documented timing files (README "Reproducibility"), compared as below. Used by the SLURM
test and the chaos test (a killed and recovered run against an uninterrupted one)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

# Files whose bytes differ between two correct runs, compared by name only: benchmark timings;
# GROMACS performance logs (.log: dates, host, timings) and checkpoints (.cpt: a time stamp).
NAME_ONLY = re.compile(r"^results/benchmarks/|\.(log|cpt)$")
# GROMACS topologies (pdb2gmx): compared without their ';' comment header (date, working dir).
WITHOUT_COMMENTS = re.compile(r"\.(top|itp)$")
# Wall-clock columns of CSV tables (training logs): the other columns are compared as text.
TIMING_COLUMNS = {"time_s"}
# Files other tests add to the shared local run (tests/test_report.py).
NOT_PIPELINE_OUTPUTS = ("results/report.html",)


def output_files(workdir: Path) -> dict[str, Path]:
    root = workdir / "results"
    return {str(p.relative_to(workdir)): p for p in sorted(root.rglob("*"))
            if p.is_file() and not str(p.relative_to(workdir)).startswith(NOT_PIPELINE_OUTPUTS)}


def comparable_bytes(name: str, path: Path) -> bytes:
    data = path.read_bytes()
    if WITHOUT_COMMENTS.search(name):
        data = b"".join(line for line in data.splitlines(keepends=True)
                        if not line.lstrip().startswith(b";"))
    elif name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(data.decode())))
        if rows and TIMING_COLUMNS & set(rows[0]):
            keep = [i for i, column in enumerate(rows[0]) if column not in TIMING_COLUMNS]
            data = "\n".join(",".join(row[i] for i in keep) for row in rows).encode()
    return data


def differing_outputs(run: Path, reference: Path, names=None) -> list[str]:
    """Outputs of `run` (all, or those named) that differ from `reference`'s, or that only one
    of them has, as "name" or "name (only in one run)"."""
    ours, theirs = output_files(run), output_files(reference)
    if names is not None:
        ours = {n: p for n, p in ours.items() if n in names}
        theirs = {n: p for n, p in theirs.items() if n in names}
    differing = [f"{n} (only in one run)" for n in sorted(set(ours) ^ set(theirs))]
    return differing + [n for n in sorted(set(ours) & set(theirs)) if not NAME_ONLY.search(n)
                        and comparable_bytes(n, ours[n]) != comparable_bytes(n, theirs[n])]
