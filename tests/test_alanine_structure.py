"""The internal-coordinate ACE-ALA-NME builder: geometry checked by independent formulas, the
L chirality against the ideal C-beta construction, and the angles read back by mdtraj."""

import itertools
import math

import numpy as np
import pytest

from activediff.alanine.dihedrals import dihedrals, read_dihedrals
from activediff.alanine.structure import (
    ANGLE,
    BOND,
    build_alanine_dipeptide,
    dihedral_angle,
    place_atom,
    write_alanine_dipeptide_pdb,
)
from activediff.io import InputError

ANGLES = [-180.0, -135.0, -63.0, 0.0, 57.0, 120.0, 179.0]


def positions(atoms):
    return {f"{a.residue} {a.name}": a.xyz for a in atoms}


def bond_angle(a, b, c):
    u, w = a - b, c - b
    return math.degrees(math.acos(np.dot(u, w) / np.linalg.norm(u) / np.linalg.norm(w)))


def test_place_atom_reproduces_its_internal_coordinates():
    rng = np.random.default_rng(5)
    for _ in range(200):
        a, b, c = rng.normal(size=(3, 3))
        bond, angle, torsion = rng.uniform(0.8, 2.0), rng.uniform(20, 170), rng.uniform(-180, 180)
        d = place_atom(a, b, c, bond, angle, torsion)
        assert np.linalg.norm(d - c) == pytest.approx(bond, abs=1e-9)
        assert bond_angle(b, c, d) == pytest.approx(angle, abs=1e-7)
        assert (dihedral_angle(a, b, c, d) - torsion + 180) % 360 - 180 == pytest.approx(0, abs=1e-7)


@pytest.mark.parametrize("phi,psi", [(-63.0, -42.0), (-75.0, 145.0), (57.0, 47.0), (-150.0, 160.0)])
def test_backbone_geometry(phi, psi):
    p = positions(build_alanine_dipeptide(phi, psi))
    assert len(p) == 22
    assert dihedral_angle(p["ACE C"], p["ALA N"], p["ALA CA"], p["ALA C"]) == pytest.approx(phi, abs=1e-6)
    assert dihedral_angle(p["ALA N"], p["ALA CA"], p["ALA C"], p["NME N"]) == pytest.approx(psi, abs=1e-6)
    for omega in (dihedral_angle(p["ACE CH3"], p["ACE C"], p["ALA N"], p["ALA CA"]),
                  dihedral_angle(p["ALA CA"], p["ALA C"], p["NME N"], p["NME CH3"])):
        assert abs(abs(omega) - 180.0) < 1e-6                    # trans peptide bonds
    assert np.linalg.norm(p["ALA N"] - p["ACE C"]) == pytest.approx(BOND["C-N"])
    assert np.linalg.norm(p["ALA CB"] - p["ALA CA"]) == pytest.approx(BOND["CA-CB"])
    # Both angles at C-alpha that the improper torsion of CB was solved for.
    assert bond_angle(p["ALA N"], p["ALA CA"], p["ALA CB"]) == pytest.approx(ANGLE["N-CA-CB"], abs=1e-6)
    assert bond_angle(p["ALA C"], p["ALA CA"], p["ALA CB"]) == pytest.approx(ANGLE["C-CA-CB"], abs=1e-6)
    # Planar peptide groups: amide H trans to the carbonyl O.
    assert abs(dihedral_angle(p["ACE O"], p["ACE C"], p["ALA N"], p["ALA H"])) == pytest.approx(180, abs=1e-6)
    # No two atoms closer than a C-H bond (a clash would mean a wrong reference atom).
    xyz = np.array(list(p.values()))
    dist = np.linalg.norm(xyz[:, None] - xyz[None], axis=-1)[np.triu_indices(22, 1)]
    assert dist.min() > 0.99


def test_l_chirality_matches_ideal_c_beta():
    # Ideal C-beta of an L residue from the backbone alone (constants of trRosetta/ProteinMPNN,
    # fitted to crystal structures): independent of our torsion convention.
    for phi, psi in [(-63.0, -42.0), (60.0, 40.0), (-120.0, 130.0)]:
        p = positions(build_alanine_dipeptide(phi, psi))
        b, c = p["ALA CA"] - p["ALA N"], p["ALA C"] - p["ALA CA"]
        ideal = -0.58273431 * np.cross(b, c) + 0.56802827 * b - 0.54067466 * c + p["ALA CA"]
        assert np.linalg.norm(ideal - p["ALA CB"]) < 0.05      # angstrom
        # HA on the other side: the mirror image (D) would put CB there.
        assert np.linalg.norm(ideal - p["ALA HA"]) > 1.0


def test_written_pdb_gives_chosen_angles_through_mdtraj(tmp_path):
    # The hand-built structure with known angles: dihedrals() must return them (PDB keeps 0.001 A).
    for phi, psi in itertools.product(ANGLES, ANGLES[::2]):
        path = tmp_path / "ala.pdb"
        write_alanine_dipeptide_pdb(path, phi, psi)
        got_phi, got_psi = dihedrals(path, path)
        assert got_phi.shape == got_psi.shape == (1,)
        assert (got_phi[0] - phi + 180) % 360 - 180 == pytest.approx(0, abs=0.1)
        assert (got_psi[0] - psi + 180) % 360 - 180 == pytest.approx(0, abs=0.1)
    series = read_dihedrals(path, path)
    assert series.atoms.phi_names == ("ACE1:C", "ALA2:N", "ALA2:CA", "ALA2:C")
    assert series.atoms.psi_names == ("ALA2:N", "ALA2:CA", "ALA2:C", "NME3:N")


def test_pdb_atom_names_follow_amber03_and_columns(tmp_path):
    path = tmp_path / "ala.pdb"
    write_alanine_dipeptide_pdb(path)
    records = [line for line in path.read_text().splitlines() if line.startswith("ATOM")]
    names = [(line[17:20], line[12:16].strip()) for line in records]
    assert names[:6] == [("ACE", "HH31"), ("ACE", "CH3"), ("ACE", "HH32"), ("ACE", "HH33"),
                         ("ACE", "C"), ("ACE", "O")]
    assert [n for r, n in names if r == "NME"] == ["N", "H", "CH3", "HH31", "HH32", "HH33"]
    assert all(len(line) >= 78 and line[76:78].strip() in "CHNO" for line in records)


def test_non_finite_angle_is_refused():
    with pytest.raises(InputError, match="phi"):
        build_alanine_dipeptide(float("nan"), 0.0)
