"""Alanine dipeptide backbone dihedrals (phi, psi) from a trajectory, with mdtraj.

Only the peptide atoms are read (atom_indices, iterload in chunks), so a long solvated run costs
memory for 22 atoms per frame. The trajectory may hold the whole system or only the peptide (as
GROMACS writes it with compressed-x-grps = Protein, the peptide being the first atoms of the
system); any other atom count is an error. phi = C(ACE)-N-CA-C and psi = N-CA-C-N(NME), the
atoms mdtraj.compute_phi / compute_psi pick, returned in degrees in (-180, 180].
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from activediff.io import InputError, save_npz

TRAJECTORY_FORMATS = (".xtc", ".trr", ".dcd", ".gro", ".pdb")
TOPOLOGY_FORMATS = (".gro", ".pdb")
CHUNK_FRAMES = 10_000


def _mdtraj():
    try:
        import mdtraj
    except ImportError as err:   # pragma: no cover - the md environment has it
        raise InputError("mdtraj is required to read trajectories (pip install mdtraj)") from err
    return mdtraj


def _check_file(path: Path, formats: tuple[str, ...], what: str) -> Path:
    path = Path(path)
    if path.suffix.lower() not in formats:
        raise InputError(f"{path}: unsupported {what} format '{path.suffix}'; "
                         f"expected one of {', '.join(formats)}")
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: {what} file is empty")
    return path


def load_topology(topology_path: str | os.PathLike):
    md = _mdtraj()
    path = _check_file(Path(topology_path), TOPOLOGY_FORMATS, "topology")
    try:
        return md.load_topology(str(path))
    except Exception as err:  # mdtraj raises many types for unreadable files
        raise InputError(f"{path}: not a readable {path.suffix} topology ({type(err).__name__}: {err})") from err


@dataclass(frozen=True)
class DihedralAtoms:
    """Atom indices (into the topology) and labels of the atoms defining phi and psi."""
    phi: np.ndarray            # (4,) int
    psi: np.ndarray            # (4,) int
    phi_names: tuple[str, ...]
    psi_names: tuple[str, ...]


def dihedral_atoms(topology) -> DihedralAtoms:
    """The single phi/psi pair of a dipeptide topology; InputError if there is none or several."""
    md = _mdtraj()
    probe = md.Trajectory(np.zeros((1, topology.n_atoms, 3), dtype=np.float32), topology)
    phi, _ = md.compute_phi(probe)
    psi, _ = md.compute_psi(probe)
    if len(phi) == 0 or len(psi) == 0:
        raise InputError(
            f"no phi/psi pair in the topology ({topology.n_residues} residues: "
            f"{' '.join(r.name for r in list(topology.residues)[:8])}"
            f"{' ...' if topology.n_residues > 8 else ''}); expected a capped dipeptide such as "
            f"ACE-ALA-NME with atoms C(ACE), N, CA, C, N(NME)")
    if len(phi) != 1 or len(psi) != 1:
        raise InputError(f"expected one phi/psi pair (a dipeptide), found {len(phi)} phi and "
                         f"{len(psi)} psi angles")
    def label(idx):
        return tuple(f"{topology.atom(int(i)).residue.name}{topology.atom(int(i)).residue.resSeq}"
                     f":{topology.atom(int(i)).name}" for i in idx)
    return DihedralAtoms(phi[0].astype(np.int64), psi[0].astype(np.int64), label(phi[0]), label(psi[0]))


def peptide_atoms(topology) -> np.ndarray:
    """Indices of the protein residues (ACE, ALA, NME count as protein in mdtraj)."""
    idx = np.array([a.index for a in topology.atoms if a.residue.is_protein], dtype=np.int64)
    if idx.size == 0:
        raise InputError(f"no peptide atoms in the topology ({topology.n_atoms} atoms, residues "
                         f"{sorted({r.name for r in topology.residues})[:8]})")
    return idx


def _trajectory_atom_count(path: Path) -> int:
    md = _mdtraj()
    suffix = path.suffix.lower()
    try:
        if suffix in (".gro", ".pdb"):
            return md.load_topology(str(path)).n_atoms
        with md.open(str(path)) as handle:
            frame = handle.read(n_frames=1)
        xyz = frame[0] if isinstance(frame, tuple) else frame
        if xyz.shape[0] == 0:
            raise InputError(f"{path}: trajectory holds no frames")
        return int(xyz.shape[1])
    except InputError:
        raise
    except Exception as err:
        raise InputError(f"{path}: not a readable {suffix} trajectory ({type(err).__name__}: {err})") from err


@dataclass(frozen=True)
class DihedralSeries:
    phi: np.ndarray            # (n_frames,) degrees
    psi: np.ndarray            # (n_frames,) degrees
    time_ps: np.ndarray        # (n_frames,)
    atoms: DihedralAtoms       # indices into the topology file


def read_dihedrals(trajectory_path: str | os.PathLike, topology_path: str | os.PathLike,
                   chunk_frames: int = CHUNK_FRAMES) -> DihedralSeries:
    """phi, psi (degrees) and time of every frame, reading only the peptide atoms."""
    md = _mdtraj()
    traj_path = _check_file(Path(trajectory_path), TRAJECTORY_FORMATS, "trajectory")
    topology = load_topology(topology_path)
    peptide = peptide_atoms(topology)
    atoms = dihedral_atoms(topology)
    n_traj = _trajectory_atom_count(traj_path)
    if n_traj == topology.n_atoms:
        top, selection = topology, peptide
    elif n_traj == peptide.size and np.array_equal(peptide, np.arange(peptide.size)):
        top, selection = topology.subset(peptide), None   # peptide-only output (compressed-x-grps)
    else:
        raise InputError(f"{traj_path}: {n_traj} atoms per frame, but the topology {topology_path} "
                         f"has {topology.n_atoms} atoms ({peptide.size} in the peptide); the "
                         f"trajectory must hold all of them or only the leading peptide atoms")
    # Indices of the dihedral atoms within the loaded (peptide-only) frames.
    position = {int(a): i for i, a in enumerate(peptide)}
    quartets = np.array([[position[int(a)] for a in atoms.phi], [position[int(a)] for a in atoms.psi]])
    phis, psis, times = [], [], []
    try:
        with warnings.catch_warnings():   # mdtraj's float64 -> float32 box cast: harmless
            warnings.simplefilter("ignore", category=RuntimeWarning)
            for chunk in md.iterload(str(traj_path), top=top, chunk=chunk_frames,
                                     atom_indices=selection):
                # Minimum-image bond vectors when the file has a box: a peptide split across
                # the periodic boundary (an engine that wraps atoms) still gives the right angles.
                angles = md.compute_dihedrals(chunk, quartets, periodic=True)
                phis.append(angles[:, 0])
                psis.append(angles[:, 1])
                times.append(np.asarray(chunk.time, dtype=np.float64))
    except Exception as err:
        raise InputError(f"{traj_path}: failed while reading frames ({type(err).__name__}: {err})") from err
    if not phis or sum(len(p) for p in phis) == 0:
        raise InputError(f"{traj_path}: trajectory holds no frames")
    phi = np.degrees(np.concatenate(phis).astype(np.float64))
    psi = np.degrees(np.concatenate(psis).astype(np.float64))
    if not (np.all(np.isfinite(phi)) and np.all(np.isfinite(psi))):
        raise InputError(f"{traj_path}: non-finite coordinates (NaN dihedrals) in the trajectory")
    return DihedralSeries(phi, psi, np.concatenate(times), atoms)


def dihedrals(trajectory_path: str | os.PathLike, topology_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(phi, psi) in degrees, each of shape (n_frames,), for a solvated or a bare peptide."""
    series = read_dihedrals(trajectory_path, topology_path)
    return series.phi, series.psi


def write_dihedral_table(path: str | os.PathLike, segments: Sequence[Sequence[str | os.PathLike]],
                         topology_path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read each segment (an independent run: a replica, or one bring-your-own trajectory) from
    its consecutive files, drop frames repeated at file boundaries (a restarted chunk starts with
    the previous chunk's last frame), and save phi, psi, time_ps and segment (the run index of
    each frame, for block bootstrap), plus the atoms of each angle, to `path`."""
    phi, psi, time, segment, atoms = [], [], [], [], None
    for index, files in enumerate(segments):
        last_time = -np.inf
        for file in files:
            series = read_dihedrals(file, topology_path)
            if atoms is not None and not np.array_equal(series.atoms.phi, atoms.phi):
                raise InputError(f"{file}: phi atoms differ from the other files")
            atoms = series.atoms
            keep = series.time_ps > last_time
            if len(files) > 1 and not np.all(np.diff(series.time_ps[keep]) > 0):
                raise InputError(f"{file}: frame times are not increasing within the file")
            phi.append(series.phi[keep])
            psi.append(series.psi[keep])
            time.append(series.time_ps[keep])
            segment.append(np.full(int(keep.sum()), index, dtype=np.int64))
            if keep.any():
                last_time = series.time_ps[keep][-1]
    if atoms is None:
        raise InputError("no trajectory files given")
    table = {"phi": np.concatenate(phi), "psi": np.concatenate(psi), "time_ps": np.concatenate(time),
             "segment": np.concatenate(segment), "phi_atoms": atoms.phi, "psi_atoms": atoms.psi,
             "phi_atom_names": np.array(atoms.phi_names), "psi_atom_names": np.array(atoms.psi_names)}
    save_npz(path, **table)
    return table


def md_basin_populations(dihedrals_path: str | os.PathLike, *, block_ps: float,
                         n_bootstrap: int = 1000, seed: int = 0):
    """Basin populations of a dihedral table (write_dihedral_table) with a block bootstrap over
    time: blocks of `block_ps` within each run, converted to frames with the median spacing."""
    from activediff.alanine.basins import basin_populations
    from activediff.io import load_npz

    table = load_npz(dihedrals_path, ("phi", "psi", "time_ps", "segment"))
    block_length, spacing = _frame_blocks(table["time_ps"], table["segment"], block_ps)
    result = basin_populations(table["phi"], table["psi"], block_length=block_length,
                               segment=table["segment"], n_bootstrap=n_bootstrap, seed=seed)
    result["block_ps"] = block_length * spacing
    return result


def _frame_blocks(time_ps: np.ndarray, segment: np.ndarray, block_ps: float) -> tuple[int, float]:
    """Bootstrap blocks of `block_ps` in frames (at least 1), and the median time between
    consecutive frames of one run they are counted in (`block_ps` with no such pair)."""
    spacing = np.diff(time_ps)[np.diff(segment) == 0]
    spacing = float(np.median(spacing)) if spacing.size else block_ps
    return (max(1, int(round(block_ps / spacing))) if spacing > 0 else 1), spacing


def frame_block_length(time_ps: np.ndarray, segment: np.ndarray, block_ps: float) -> int:
    """Bootstrap blocks of `block_ps` in frames, from the median frame spacing (at least 1)."""
    return _frame_blocks(time_ps, segment, block_ps)[0]
