"""dihedrals() on trajectories built with known (phi, psi): bare and 'solvated' peptide, every
trajectory format, peptide-only output, replica tables; and the bad inputs, each one clear
InputError."""

import mdtraj as md
import numpy as np
import pytest

from activediff.alanine.dihedrals import dihedrals, md_basin_populations, read_dihedrals, write_dihedral_table
from activediff.alanine.structure import build_alanine_dipeptide, write_alanine_dipeptide_pdb
from activediff.io import InputError, load_npz

RNG = np.random.default_rng(11)
KNOWN = RNG.uniform(-179.0, 179.0, size=(12, 2))      # (phi, psi) per frame
N_WATERS = 3
# xtc stores 0.001 nm: over 0.15 nm bonds that is up to ~0.5 degrees; float32 formats ~1e-4.
XTC_TOL, FLOAT_TOL = 0.6, 0.01


def angle_error(a, b):
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def peptide_frames(angles):
    return np.array([[atom.xyz / 10.0 for atom in build_alanine_dipeptide(phi, psi)]
                     for phi, psi in angles], dtype=np.float32)         # nm


def peptide_topology(tmp_path):
    path = tmp_path / "peptide.pdb"
    write_alanine_dipeptide_pdb(path)
    return md.load_topology(str(path))


def solvated(tmp_path, angles):
    """Peptide followed by a few water molecules far away, in a 3 nm box (like GROMACS output)."""
    top = peptide_topology(tmp_path)
    chain = top.add_chain()
    for i in range(N_WATERS):
        residue = top.add_residue("HOH", chain, resSeq=100 + i)
        for name, element in (("O", "O"), ("H1", "H"), ("H2", "H")):
            top.add_atom(name, md.element.get_by_symbol(element), residue)
    water = np.array([[0.0, 0.0, 0.0], [0.096, 0.0, 0.0], [-0.024, 0.093, 0.0]])
    waters = np.concatenate([water + [2.0, 0.3 * i, 2.0] for i in range(N_WATERS)])
    xyz = np.concatenate([peptide_frames(angles),
                          np.broadcast_to(waters, (len(angles), *waters.shape))], axis=1)
    traj = md.Trajectory(xyz.astype(np.float32), top, time=np.arange(len(angles), dtype=float),
                         unitcell_lengths=np.full((len(angles), 3), 3.0),
                         unitcell_angles=np.full((len(angles), 3), 90.0))
    return traj


@pytest.mark.parametrize("fmt", ["xtc", "trr", "dcd"])
def test_solvated_trajectory_in_every_format(tmp_path, fmt):
    traj = solvated(tmp_path, KNOWN)
    traj[0].save_gro(str(tmp_path / "system.gro"))
    traj.save(str(tmp_path / f"traj.{fmt}"))
    phi, psi = dihedrals(tmp_path / f"traj.{fmt}", tmp_path / "system.gro")
    assert phi.shape == psi.shape == (len(KNOWN),)
    assert phi.dtype == np.float64
    tol = XTC_TOL if fmt == "xtc" else FLOAT_TOL
    assert angle_error(phi, KNOWN[:, 0]).max() < tol
    assert angle_error(psi, KNOWN[:, 1]).max() < tol
    assert np.all((phi > -180) & (phi <= 180))


def test_peptide_only_trajectory_with_full_topology(tmp_path):
    # GROMACS with compressed-x-grps = Protein writes the leading peptide atoms only.
    traj = solvated(tmp_path, KNOWN)
    traj[0].save_pdb(str(tmp_path / "system.pdb"))
    traj.atom_slice(np.arange(22)).save_xtc(str(tmp_path / "peptide.xtc"))
    series = read_dihedrals(tmp_path / "peptide.xtc", tmp_path / "system.pdb", chunk_frames=5)
    assert angle_error(series.phi, KNOWN[:, 0]).max() < XTC_TOL
    assert np.array_equal(series.time_ps, np.arange(len(KNOWN)))
    assert list(series.atoms.phi) == [4, 6, 8, 14] and list(series.atoms.psi) == [6, 8, 14, 16]


def test_peptide_split_by_the_periodic_box(tmp_path):
    # An engine that wraps atoms into the box may split the peptide; minimum image fixes it.
    traj = solvated(tmp_path, KNOWN[:3])
    traj.xyz[:, 14:] += np.array([3.0, 0.0, 0.0], dtype=np.float32)   # C, O, NME one box away
    traj[0].save_gro(str(tmp_path / "system.gro"))
    traj.save_xtc(str(tmp_path / "wrapped.xtc"))
    phi, psi = dihedrals(tmp_path / "wrapped.xtc", tmp_path / "system.gro")
    assert angle_error(phi, KNOWN[:3, 0]).max() < XTC_TOL and angle_error(psi, KNOWN[:3, 1]).max() < XTC_TOL


def test_dihedral_table_joins_chunks_and_keeps_replicas_apart(tmp_path):
    top = peptide_topology(tmp_path)
    md.Trajectory(peptide_frames(KNOWN[:1]), top).save_pdb(str(tmp_path / "top.pdb"))
    files = []
    for name, angles, times in (("r0c0", KNOWN[0:5], [0, 1, 2, 3, 4]),
                                ("r0c1", KNOWN[4:9], [4, 5, 6, 7, 8]),   # repeats t = 4
                                ("r1c0", KNOWN[9:12], [0, 1, 2])):
        md.Trajectory(peptide_frames(angles), top, time=np.array(times, float)).save_xtc(
            str(tmp_path / f"{name}.xtc"))
        files.append(tmp_path / f"{name}.xtc")
    table = write_dihedral_table(tmp_path / "d.npz", [files[:2], files[2:]], tmp_path / "top.pdb")
    assert np.array_equal(table["time_ps"], [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2])
    assert np.array_equal(table["segment"], [0] * 9 + [1] * 3)
    assert angle_error(table["phi"], KNOWN[:, 0]).max() < XTC_TOL
    saved = load_npz(tmp_path / "d.npz", ("phi", "psi", "phi_atoms", "psi_atom_names"))
    assert list(saved["psi_atom_names"]) == ["ALA2:N", "ALA2:CA", "ALA2:C", "NME3:N"]
    pops = md_basin_populations(tmp_path / "d.npz", block_ps=2.0, n_bootstrap=50)
    assert pops["population"].sum() == pytest.approx(1.0)
    assert set(pops["block_length"]) == {2}


# --------------------------------------------------------------------------------- bad inputs

@pytest.fixture
def good(tmp_path):
    traj = solvated(tmp_path, KNOWN[:4])
    traj[0].save_gro(str(tmp_path / "system.gro"))
    traj.save_xtc(str(tmp_path / "traj.xtc"))
    return tmp_path


def test_missing_files(good):
    with pytest.raises(InputError, match="missing.xtc: trajectory file not found"):
        dihedrals(good / "missing.xtc", good / "system.gro")
    with pytest.raises(InputError, match="nope.gro: topology file not found"):
        dihedrals(good / "traj.xtc", good / "nope.gro")


def test_unsupported_and_empty_files(good):
    (good / "traj.nc").write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported trajectory format '.nc'"):
        dihedrals(good / "traj.nc", good / "system.gro")
    (good / "empty.xtc").write_bytes(b"")
    with pytest.raises(InputError, match="empty.xtc: trajectory file is empty"):
        dihedrals(good / "empty.xtc", good / "system.gro")


def test_corrupt_trajectory_and_topology(good):
    (good / "junk.xtc").write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(InputError, match="junk.xtc: not a readable .xtc trajectory"):
        dihedrals(good / "junk.xtc", good / "system.gro")
    (good / "junk.dcd").write_bytes(b"\x00" * 300)
    with pytest.raises(InputError, match="junk.dcd"):
        dihedrals(good / "junk.dcd", good / "system.gro")
    (good / "junk.gro").write_text("not a gro file\nabc\n")
    with pytest.raises(InputError, match="junk.gro: not a readable .gro topology"):
        dihedrals(good / "traj.xtc", good / "junk.gro")


def test_truncated_trajectory(good):
    # A run killed while writing leaves a damaged last frame: refused, naming the file.
    data = (good / "traj.xtc").read_bytes()
    (good / "cut.xtc").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError, match="cut.xtc: failed while reading frames"):
        dihedrals(good / "cut.xtc", good / "system.gro")


def test_atom_count_mismatch(good):
    traj = md.load(str(good / "traj.xtc"), top=str(good / "system.gro"))
    traj.atom_slice(np.arange(25)).save_xtc(str(good / "short.xtc"))
    with pytest.raises(InputError, match=r"short.xtc: 25 atoms per frame, but the topology .* has 31 atoms \(22 in the peptide\)"):
        dihedrals(good / "short.xtc", good / "system.gro")


def test_structure_without_phi_psi_pair(tmp_path):
    # ACE-ALA without the NME cap: phi exists, psi does not.
    path = tmp_path / "ala.pdb"
    write_alanine_dipeptide_pdb(path)
    lines = [line for line in path.read_text().splitlines() if "NME" not in line]
    (tmp_path / "capless.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="no phi/psi pair"):
        dihedrals(tmp_path / "capless.pdb", tmp_path / "capless.pdb")
    # Water only: no peptide at all.
    traj = solvated(tmp_path, KNOWN[:1]).atom_slice(np.arange(22, 22 + 3 * N_WATERS))
    traj.save_pdb(str(tmp_path / "water.pdb"))
    with pytest.raises(InputError, match="no p"):
        dihedrals(tmp_path / "water.pdb", tmp_path / "water.pdb")


def test_two_dipeptides_are_refused(tmp_path):
    one = solvated(tmp_path, KNOWN[:1]).atom_slice(np.arange(22))
    two = one.stack(one)
    two.save_pdb(str(tmp_path / "two.pdb"))
    with pytest.raises(InputError, match="expected one phi/psi pair"):
        dihedrals(tmp_path / "two.pdb", tmp_path / "two.pdb")
