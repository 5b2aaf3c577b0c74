"""Alanine dipeptide (ACE-ALA-NME) built from internal coordinates; nothing is downloaded.

Every atom is placed from three already placed atoms with a bond length, a bond angle and a
dihedral (the natural extension reference frame, NeRF). Lengths and angles are standard peptide
values (Engh & Huber 1991, rounded); phi, psi and the two peptide-bond angles omega are free.
Atom and residue names follow GROMACS' amber03.ff (aminoacids.rtp), so the PDB goes straight
into `gmx pdb2gmx -ff amber03 -water tip3p -ignh`, and mdtraj recognises ACE/ALA/NME.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from activediff.io import InputError, atomic_path

# Bond lengths in angstrom.
BOND = {"C-N": 1.335, "N-CA": 1.458, "CA-C": 1.525, "C=O": 1.229, "CA-CB": 1.530,
        "ACE CH3-C": 1.520, "NME N-CH3": 1.449, "N-H": 1.010, "C-H": 1.090}
# Bond angles in degrees.
ANGLE = {"CA-C-N": 116.2, "C-N-CA": 121.7, "N-CA-C": 111.2, "N-C=O": 122.7, "C-N-H": 119.0,
         "N-CA-CB": 110.5, "C-CA-CB": 110.1, "C-CA-HA": 109.5, "N-CA-HA": 109.5,
         "tetrahedral": 109.47}


def _torsion_from_angles(axis_a: float, axis_b: float, between: float) -> float:
    """Dihedral (deg) between two bonds u, w at one centre about a third bond v, given the angles
    (u, v) = axis_a, (w, v) = axis_b and (u, w) = between (spherical law of cosines)."""
    a, b, c = (math.radians(x) for x in (axis_a, axis_b, between))
    return math.degrees(math.acos((math.cos(c) - math.cos(a) * math.cos(b))
                                  / (math.sin(a) * math.sin(b))))


# Dihedral N-C-CA-CB that gives both tetrahedral angles at CA; the + sign is the L enantiomer
# (checked in the tests against the ideal-C-beta construction used by trRosetta/ProteinMPNN).
CB_IMPROPER = _torsion_from_angles(ANGLE["N-CA-C"], ANGLE["C-CA-CB"], ANGLE["N-CA-CB"])
HA_IMPROPER = -_torsion_from_angles(ANGLE["N-CA-C"], ANGLE["C-CA-HA"], ANGLE["N-CA-HA"])


def place_atom(a: np.ndarray, b: np.ndarray, c: np.ndarray,
               bond: float, angle: float, torsion: float) -> np.ndarray:
    """Position d with |cd| = bond, angle(b, c, d) = angle and dihedral(a, b, c, d) = torsion
    (degrees, IUPAC sign convention as in mdtraj.compute_dihedrals)."""
    theta, tau = math.radians(angle), math.radians(torsion)
    bc = c - b
    bc /= np.linalg.norm(bc)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    local = bond * np.array([-math.cos(theta), math.sin(theta) * math.cos(tau),
                             math.sin(theta) * math.sin(tau)])
    return c + local[0] * bc + local[1] * m + local[2] * n


def dihedral_angle(p0, p1, p2, p3) -> float:
    """Dihedral p0-p1-p2-p3 in degrees in (-180, 180]; an independent check of place_atom."""
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1 = b1 / np.linalg.norm(b1)
    v = b0 - np.dot(b0, b1) * b1
    w = b2 - np.dot(b2, b1) * b1
    return math.degrees(math.atan2(np.dot(np.cross(b1, v), w), np.dot(v, w)))


@dataclass(frozen=True)
class Atom:
    residue: str          # ACE, ALA or NME
    name: str             # amber03 atom name
    element: str
    xyz: np.ndarray       # angstrom


# Residue numbers and the amber03.ff atom order within each residue.
RESIDUES = {"ACE": (1, ("HH31", "CH3", "HH32", "HH33", "C", "O")),
            "ALA": (2, ("N", "H", "CA", "HA", "CB", "HB1", "HB2", "HB3", "C", "O")),
            "NME": (3, ("N", "H", "CH3", "HH31", "HH32", "HH33"))}


def build_alanine_dipeptide(phi: float = -75.0, psi: float = 145.0,
                            omega: tuple[float, float] = (180.0, 180.0)) -> list[Atom]:
    """The 22 atoms of ACE-ALA-NME with backbone dihedrals phi = C(ACE)-N-CA-C and
    psi = N-CA-C-N(NME) in degrees (defaults: the polyproline-II basin), trans peptide bonds
    by default. Coordinates in angstrom, atoms in amber03 residue order."""
    for label, value in (("phi", phi), ("psi", psi), ("omega[0]", omega[0]), ("omega[1]", omega[1])):
        if not math.isfinite(value):
            raise InputError(f"alanine structure: {label} must be a finite angle in degrees, got {value}")
    p: dict[str, np.ndarray] = {}
    # The first three backbone atoms fix the frame: ACE CH3 at the origin, ACE C on x, ALA N in xy.
    p["ACE CH3"] = np.zeros(3)
    p["ACE C"] = np.array([BOND["ACE CH3-C"], 0.0, 0.0])
    t = math.radians(180.0 - ANGLE["CA-C-N"])
    p["ALA N"] = p["ACE C"] + BOND["C-N"] * np.array([math.cos(t), math.sin(t), 0.0])
    # (name, (a, b, c), bond, angle, torsion): d is bonded to c.
    table = [
        ("ALA CA", ("ACE CH3", "ACE C", "ALA N"), BOND["N-CA"], ANGLE["C-N-CA"], omega[0]),
        ("ALA C", ("ACE C", "ALA N", "ALA CA"), BOND["CA-C"], ANGLE["N-CA-C"], phi),
        ("NME N", ("ALA N", "ALA CA", "ALA C"), BOND["C-N"], ANGLE["CA-C-N"], psi),
        ("NME CH3", ("ALA CA", "ALA C", "NME N"), BOND["NME N-CH3"], ANGLE["C-N-CA"], omega[1]),
        # Carbonyl O in the peptide plane, cis to the next C-alpha (trans to the amide H).
        ("ACE O", ("ALA CA", "ALA N", "ACE C"), BOND["C=O"], ANGLE["N-C=O"], 0.0),
        ("ALA O", ("NME CH3", "NME N", "ALA C"), BOND["C=O"], ANGLE["N-C=O"], 0.0),
        ("ALA H", ("ACE O", "ACE C", "ALA N"), BOND["N-H"], ANGLE["C-N-H"], 180.0),
        ("NME H", ("ALA O", "ALA C", "NME N"), BOND["N-H"], ANGLE["C-N-H"], 180.0),
        ("ALA CB", ("ALA N", "ALA C", "ALA CA"), BOND["CA-CB"], ANGLE["C-CA-CB"], CB_IMPROPER),
        ("ALA HA", ("ALA N", "ALA C", "ALA CA"), BOND["C-H"], ANGLE["C-CA-HA"], HA_IMPROPER),
    ]
    # Staggered methyl hydrogens.
    methyls = [("ACE", "CH3", ("ALA N", "ACE C"), ("HH31", "HH32", "HH33")),
               ("ALA", "CB", ("ALA N", "ALA CA"), ("HB1", "HB2", "HB3")),
               ("NME", "CH3", ("ALA C", "NME N"), ("HH31", "HH32", "HH33"))]
    for res, carbon, (a, b), names in methyls:
        for name, torsion in zip(names, (60.0, 180.0, -60.0)):
            table.append((f"{res} {name}", (a, b, f"{res} {carbon}"), BOND["C-H"],
                          ANGLE["tetrahedral"], torsion))
    for name, (a, b, c), bond, angle, torsion in table:
        p[name] = place_atom(p[a], p[b], p[c], bond, angle, torsion)
    atoms = []
    for res, (_, names) in RESIDUES.items():
        for name in names:
            element = "H" if name.startswith("H") else name[0]
            atoms.append(Atom(res, name, element, p[f"{res} {name}"]))
    return atoms


def pdb_text(atoms: list[Atom], title: str = "ACE-ALA-NME built from internal coordinates") -> str:
    """Fixed-column PDB text (ATOM records, one chain A, no CONECT records)."""
    lines = [f"TITLE     {title}"]  # no CRYST1: a bare, non-periodic molecule
    for serial, atom in enumerate(atoms, start=1):
        resnum = RESIDUES[atom.residue][0]
        # Atom names of up to 3 characters start in column 14, 4-character names in column 13.
        name = atom.name if len(atom.name) == 4 else f" {atom.name:<3}"
        x, y, z = atom.xyz
        lines.append(f"ATOM  {serial:5d} {name} {atom.residue:>3} A{resnum:4d}    "
                     f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00          {atom.element:>2}")
    lines += ["TER", "END"]
    return "\n".join(lines) + "\n"


def write_alanine_dipeptide_pdb(path: str | os.PathLike, phi: float = -75.0, psi: float = 145.0,
                                omega: tuple[float, float] = (180.0, 180.0)) -> None:
    """Write the ACE-ALA-NME structure with the given backbone dihedrals to a PDB, atomically."""
    text = pdb_text(build_alanine_dipeptide(phi, psi, omega),
                    title=f"ACE-ALA-NME phi={phi:g} psi={psi:g} built from internal coordinates")
    with atomic_path(path) as tmp:
        tmp.write_text(text)
