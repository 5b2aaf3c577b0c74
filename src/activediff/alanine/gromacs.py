"""Running GROMACS: .mdp files from config values, gmx commands with clear errors, restartable runs.

Protocol (paper appendix A5): amber03 + TIP3P, cubic box with 1 nm margin, 0.15 M NaCl;
steepest descent (up to 50,000 steps); NVT with v-rescale and the peptide position-restrained;
NPT with v-rescale and isotropic Parrinello-Rahman (tau_p 2 ps, 1 bar); production with
leap-frog, 2 fs, PME and one frame of the peptide every 1 ps. The values come from config; only
the settings the paper does not state are fixed here (cut-offs, constraints: the usual amber
choices, marked [A]).

Every dynamics stage runs through `run_resumable`: a private work folder holds the run's tpr,
checkpoint and growing output; a killed or -maxh-stopped job rerun with the same inputs continues
from the last checkpoint (`mdrun -cpi`, GROMACS appends to its files), and a change of inputs
starts the stage afresh. With -reprod and the fixed pair-list buffer below, a resumed run writes
the same xtc, edr and gro bytes as an uninterrupted one (same binary, threads and inputs).
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence, TextIO

# The atom groups used below exist in GROMACS' default index groups for a protein in water.
PEPTIDE_GROUP = "Protein"
SOLVENT_GROUP = "Non-Protein"


class GromacsError(RuntimeError):
    """A gmx command is missing or failed; the message names the step and shows its output tail."""


class IncompleteRun(GromacsError):
    """mdrun stopped before the last step (-maxh or a signal); rerunning resumes it."""


# --------------------------------------------------------------------------------------------
# .mdp parameters


def steps(length_ps: float, dt_ps: float, what: str = "length") -> int:
    """Whole number of MD steps in `length_ps`; refuses lengths that are not a multiple of dt."""
    n = round(length_ps / dt_ps)
    if n < 0 or abs(n * dt_ps - length_ps) > 1e-6 * max(1.0, length_ps):
        raise ValueError(f"{what} = {length_ps} ps is not a whole number of {dt_ps} ps time steps")
    return n


# [A] A fixed Verlet pair-list buffer for dynamics, so that a resumed run continues bit for bit.
# With GROMACS' default (verlet-buffer-tolerance = 0.005 kJ/mol/ps per atom) mdrun sizes rlist,
# raises nstlist (10 -> 50 here) and sets up dynamic pruning from the box of the state it starts
# from; under pressure coupling a run resumed from a checkpoint starts from another box than the
# first attempt, gets another buffer (outer list 1.110 vs 1.111 nm, inner 1.003 vs 1.002 nm) and
# another trajectory. With tolerance -1 mdrun takes nstlist and rlist as given, without pruning.
# For the solvated dipeptide at 300 K the tolerance asks, at nstlist 10, for rlist 1.000 nm with
# the 4x4 cluster list of an SSE4.1/AVX CPU build (its clusters are buffer enough) and 1.035 nm
# for a plain atom-pair list (mdrun log, "equivalent classical 1x1 list"); 1.05 nm covers both.
# Cost: about 20% more CPU time per step than the default's pruned lists (1 thread, SSE4.1; nstlist
# 20 with rlist 1.1, which only just covers the 1x1 estimate there, costs the same).
FIXED_PAIRLIST = {"nstlist": 10, "verlet-buffer-tolerance": -1, "rlist": 1.05}


def _nonbonded(fixed_buffer: bool = False) -> dict:
    # [A] cut-offs and dispersion correction: the usual amber settings (paper: "PME").
    params = {"cutoff-scheme": "Verlet", "nstlist": 10, "pbc": "xyz", "coulombtype": "PME",
              "rcoulomb": 1.0, "rvdw": 1.0, "DispCorr": "EnerPres", "fourierspacing": 0.12,
              "pme-order": 4}
    if fixed_buffer:
        params.update(FIXED_PAIRLIST)
    return params


def minimization_params(max_steps: int = 50000, emtol: float = 1000.0, emstep: float = 0.01) -> dict:
    """Steepest descent until the largest force is below emtol (kJ/mol/nm) or max_steps."""
    return {"integrator": "steep", "nsteps": int(max_steps), "emtol": emtol, "emstep": emstep,
            **_nonbonded()}


def _dynamics(dt_ps: float, temperature: float, tau_t: float, seed: int) -> dict:
    return {"integrator": "md", "dt": dt_ps, **_nonbonded(fixed_buffer=True),
            "constraints": "h-bonds", "constraint-algorithm": "lincs",   # [A] needed at 2 fs
            "tcoupl": "V-rescale", "tc-grps": f"{PEPTIDE_GROUP} {SOLVENT_GROUP}",
            "tau-t": f"{tau_t:g} {tau_t:g}", "ref-t": f"{temperature:g} {temperature:g}",
            "ld-seed": int(seed),   # v-rescale's random stream (default -1 would be random)
            "nstcalcenergy": 100, "nstenergy": 500, "nstlog": 5000,
            "nstxout": 0, "nstvout": 0, "nstfout": 0, "nstxout-compressed": 0}


def _pressure(pressure_bar: float, tau_p: float, compressibility: float) -> dict:
    return {"pcoupl": "Parrinello-Rahman", "pcoupltype": "isotropic", "tau-p": tau_p,
            "ref-p": pressure_bar, "compressibility": compressibility}


def nvt_params(length_ps: float, *, dt_ps: float, temperature: float, tau_t: float,
               seed: int) -> dict:
    """NVT equilibration from the minimised structure: new Maxwell-Boltzmann velocities, the
    peptide heavy atoms restrained to their minimised positions (posre.itp, -DPOSRES)."""
    return {"define": "-DPOSRES", **_dynamics(dt_ps, temperature, tau_t, seed),
            "nsteps": steps(length_ps, dt_ps, "NVT length"), "continuation": "no",
            "gen-vel": "yes", "gen-temp": temperature, "gen-seed": int(seed), "pcoupl": "no"}


def npt_params(length_ps: float, *, dt_ps: float, temperature: float, tau_t: float,
               pressure_bar: float, tau_p: float, compressibility: float, seed: int,
               restrain: bool) -> dict:
    """NPT equilibration continuing the NVT velocities."""
    params = {**_dynamics(dt_ps, temperature, tau_t, seed),
              "nsteps": steps(length_ps, dt_ps, "NPT length"), "continuation": "yes",
              "gen-vel": "no", **_pressure(pressure_bar, tau_p, compressibility)}
    if restrain:
        params = {"define": "-DPOSRES", **params, "refcoord-scaling": "com"}
    return params


def production_params(first_step: int, n_steps: int, *, dt_ps: float, temperature: float,
                      tau_t: float, pressure_bar: float, tau_p: float, compressibility: float,
                      frame_ps: float, seed: int) -> dict:
    """One production chunk: steps first_step .. first_step + n_steps (init-step keeps the time
    axis and v-rescale's random stream continuous across chunks), writing only the peptide."""
    return {**_dynamics(dt_ps, temperature, tau_t, seed), "tinit": 0, "init-step": int(first_step),
            "nsteps": int(n_steps), "continuation": "yes", "gen-vel": "no",
            **_pressure(pressure_bar, tau_p, compressibility),
            "nstxout-compressed": steps(frame_ps, dt_ps, "frame interval"),
            "compressed-x-grps": PEPTIDE_GROUP}


def mdp_text(params: dict, title: str = "") -> str:
    head = f"; {title}\n" if title else ""
    return head + "".join(f"{key:<24} = {value}\n" for key, value in params.items())


# --------------------------------------------------------------------------------------------
# Running gmx


def gmx_env() -> dict:
    """Environment for gmx: no '#file.1#' backups (they confuse Snakemake)."""
    return {**os.environ, "GMX_MAXBACKUP": "-1"}


def find_gmx(gmx: str = "gmx", step: str = "GROMACS") -> str:
    path = shutil.which(gmx)
    if path is None:
        raise GromacsError(
            f"{step}: the GROMACS executable '{gmx}' is not on PATH. Install GROMACS (Debian: "
            f"apt-get install gromacs; conda: envs/md.yaml; HPC: snakemake --sdm env-modules "
            f"with module 'gromacs'), or set alanine.gmx to its name or path.")
    return path


def run_gmx(args: Sequence[str | os.PathLike], *, step: str, gmx: str = "gmx",
            stdin: str | None = None, cwd: str | os.PathLike | None = None,
            log: TextIO | None = None, tail_lines: int = 25) -> str:
    """Run `gmx <args>`; its output goes to `log` (default stderr, i.e. the rule's log) and the
    last lines are returned. On a non-zero exit, raise GromacsError naming `step`, the command
    and the tail of its output."""
    exe = find_gmx(gmx, step)
    cmd = [exe, *map(str, args)]
    log = log if log is not None else sys.stderr
    print(f"[{step}] $ {' '.join(cmd)}", file=log, flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
    proc = subprocess.Popen(cmd, cwd=cwd, env=gmx_env(), text=True, errors="replace",
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    for line in proc.stdout:
        log.write(line)
        if line.strip():
            tail.append(line.rstrip())
    rc = proc.wait()
    log.flush()
    if rc != 0:
        raise GromacsError(f"GROMACS step '{step}' failed (exit code {rc}).\n"
                           f"Command: {' '.join(cmd)}\nLast lines of its output:\n  "
                           + "\n  ".join(tail))
    return "\n".join(tail)


def grompp(params: dict, conf: Path, topology: Path, tpr: Path, *, step: str,
           checkpoint: Path | None = None, restraint_ref: Path | None = None,
           gmx: str = "gmx", log: TextIO | None = None) -> None:
    """Write <tpr>.mdp from `params` and build the run input. Runs in the topology's folder so
    that its relative #include "posre.itp" resolves; mdout goes beside the tpr."""
    tpr = Path(tpr).resolve()
    mdp = tpr.with_suffix(".mdp")
    mdp.write_text(mdp_text(params, title=f"{step} (written by activediff)"))
    args = ["grompp", "-f", mdp, "-c", Path(conf).resolve(), "-p", Path(topology).resolve(),
            "-o", tpr, "-po", tpr.with_suffix(".mdout.mdp")]
    if checkpoint is not None:
        args += ["-t", Path(checkpoint).resolve()]
    if restraint_ref is not None:
        args += ["-r", Path(restraint_ref).resolve()]
    run_gmx(args, step=f"{step}: grompp", gmx=gmx, cwd=Path(topology).resolve().parent, log=log)


def checkpoint_step(cpt: Path, *, gmx: str = "gmx", log: TextIO | None = None) -> int:
    """The MD step stored in a checkpoint file (gmx dump -cp)."""
    exe = find_gmx(gmx, "read checkpoint")
    out = subprocess.run([exe, "dump", "-cp", str(cpt)], env=gmx_env(), capture_output=True,
                         text=True, errors="replace")
    match = re.search(r"^step = (\d+)", out.stdout, flags=re.M)
    if out.returncode != 0 or match is None:
        raise GromacsError(f"cannot read the step from checkpoint {cpt} (gmx dump -cp exit "
                           f"{out.returncode}):\n  " + "\n  ".join(out.stderr.splitlines()[-10:]))
    return int(match.group(1))


def mdrun_args(tpr: Path, deffnm: Path, *, threads: int, maxh: float | None = None,
               checkpoint_minutes: float = 15.0, resume: bool = False,
               reproducible: bool = True) -> list[str]:
    """mdrun with one thread-MPI rank and `threads` OpenMP threads (the rule's threads);
    with resume, continue from <deffnm>.cpt when it exists (mdrun starts afresh otherwise).
    `reproducible`: -reprod, and -notunepme so that no PME/cut-off tuning (GPU or PME-rank runs)
    depends on timings."""
    args = ["mdrun", "-s", str(tpr), "-deffnm", str(deffnm), "-ntmpi", "1",
            "-ntomp", str(int(threads)), "-cpt", f"{checkpoint_minutes:g}"]
    if resume:
        args += ["-cpi", f"{deffnm}.cpt"]
    if maxh is not None and maxh > 0:
        args += ["-maxh", f"{maxh:g}"]
    if reproducible:
        args += ["-reprod", "-notunepme"]
    return args


def _fingerprint(params: dict, files: Sequence[Path | None]) -> str:
    digest = hashlib.sha256(mdp_text(params).encode())
    for path in files:
        if path is not None:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def run_resumable(params: dict, *, step: str, conf: Path, topology: Path, work_dir: Path,
                  threads: int, checkpoint: Path | None = None,
                  restraint_ref: Path | None = None, maxh: float | None = None,
                  checkpoint_minutes: float = 15.0, reproducible: bool = True,
                  gmx: str = "gmx", log: TextIO | None = None) -> Path:
    """grompp + mdrun in `work_dir`, resuming a previous attempt with the same inputs from its
    checkpoint. Returns the run's file stem (<work_dir>/run: .gro .cpt .xtc .edr .log) once the
    last step is done; raises IncompleteRun if mdrun stopped early (-maxh), so the job fails and
    a rerun resumes."""
    work_dir = Path(work_dir)
    stem = work_dir / "run"
    stamp = work_dir / "inputs.sha256"
    key = _fingerprint(params, [conf, topology, checkpoint, restraint_ref])
    if work_dir.exists() and (not stamp.exists() or stamp.read_text().strip() != key):
        print(f"[{step}] inputs changed since the last attempt: starting afresh", file=log or sys.stderr)
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    tpr = stem.with_suffix(".tpr")
    if not tpr.exists() or not stamp.exists():
        grompp(params, conf, topology, tpr, step=step, checkpoint=checkpoint,
               restraint_ref=restraint_ref, gmx=gmx, log=log)
        stamp.write_text(key + "\n")
    elif Path(f"{stem}.cpt").exists():
        print(f"[{step}] resuming from checkpoint {stem}.cpt "
              f"(step {checkpoint_step(Path(f'{stem}.cpt'), gmx=gmx)})", file=log or sys.stderr)
    run_gmx(mdrun_args(tpr, stem, threads=threads, maxh=maxh, checkpoint_minutes=checkpoint_minutes,
                       resume=True, reproducible=reproducible),
            step=f"{step}: mdrun", gmx=gmx, log=log)
    last = int(params.get("init-step", 0)) + int(params["nsteps"])
    done = checkpoint_step(Path(f"{stem}.cpt"), gmx=gmx)
    if done < last:
        raise IncompleteRun(f"GROMACS step '{step}': mdrun stopped at step {done} of {last} "
                            f"(-maxh or a signal). The checkpoint is kept in {work_dir}; rerun the "
                            f"job (snakemake --retries / a resubmission) to continue from it.")
    return stem


def run_minimization(params: dict, *, conf: Path, topology: Path, work_dir: Path, threads: int,
                     gmx: str = "gmx", log: TextIO | None = None) -> Path:
    """Steepest descent (minimisers write no checkpoints; short, so just rerun). Returns the stem."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    stem = work_dir / "em"
    grompp(params, conf, topology, stem.with_suffix(".tpr"), step="minimisation", gmx=gmx, log=log)
    run_gmx(mdrun_args(stem.with_suffix(".tpr"), stem, threads=threads), step="minimisation: mdrun",
            gmx=gmx, log=log)
    return stem


def prepare_system(pdb: Path, out_dir: Path, *, salt_molar: float, box_margin_nm: float,
                   force_field: str = "amber03", water: str = "tip3p", seed: int = 1,
                   gmx: str = "gmx", log: TextIO | None = None) -> dict[str, Path]:
    """pdb2gmx (hydrogens rebuilt), a cubic box with `box_margin_nm` around the peptide, water
    (spc216.gro, the 3-site box used for TIP3P), then NaCl at `salt_molar` with a neutral total
    charge. Writes topol.top, posre.itp and system.gro in `out_dir`."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)

    def gmx_step(name, args, stdin=None):
        run_gmx(args, step=f"system preparation: {name}", gmx=gmx, cwd=out, log=log, stdin=stdin)

    gmx_step("pdb2gmx", ["pdb2gmx", "-f", Path(pdb).resolve(), "-o", "peptide.gro", "-p", "topol.top",
                         "-i", "posre.itp", "-ff", force_field, "-water", water, "-ignh"])
    gmx_step("editconf", ["editconf", "-f", "peptide.gro", "-o", "box.gro", "-c",
                          "-d", f"{box_margin_nm:g}", "-bt", "cubic"])
    gmx_step("solvate", ["solvate", "-cp", "box.gro", "-cs", "spc216.gro", "-p", "topol.top",
                         "-o", "solvated.gro"])
    (out / "ions.mdp").write_text(mdp_text(minimization_params(max_steps=0), "input for genion"))
    gmx_step("grompp for genion", ["grompp", "-f", "ions.mdp", "-c", "solvated.gro",
                                   "-p", "topol.top", "-o", "ions.tpr", "-po", "ions.mdout.mdp"])
    gmx_step("genion", ["genion", "-s", "ions.tpr", "-o", "system.gro", "-p", "topol.top",
                        "-pname", "NA", "-nname", "CL", "-neutral", "-conc", f"{salt_molar:g}",
                        "-seed", str(int(seed))], stdin="SOL\n")
    return {"topology": out / "topol.top", "restraints": out / "posre.itp",
            "structure": out / "system.gro"}


def count_molecules(topology: Path) -> dict[str, int]:
    """The [ molecules ] section of a .top file, e.g. {'Protein_chain_A': 1, 'SOL': 751, ...}."""
    counts: dict[str, int] = {}
    in_section = False
    for line in Path(topology).read_text().splitlines():
        line = line.split(";")[0].strip()
        if line.startswith("["):
            in_section = line.replace(" ", "") == "[molecules]"
        elif in_section and line:
            name, n = line.split()[:2]
            counts[name] = counts.get(name, 0) + int(n)
    return counts
