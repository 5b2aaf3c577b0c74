"""The alanine stage in the workflow: outputs of the real .test run (GROMACS, 2 replicas x 2
chunks), DAG-precise reruns (a longer production adds chunks, nothing else reruns), the paper
DAG, and a bring-your-own trajectory that skips the simulation."""

from __future__ import annotations

import mdtraj as md
import numpy as np
import pandas as pd
import pytest
import yaml

from activediff.alanine.structure import build_alanine_dipeptide, write_alanine_dipeptide_pdb

from conftest import TEST_CONFIG, copy_workflow, run_snakemake

pytestmark = pytest.mark.slow

TARGETS = ("results/alanine/dihedrals.npz", "results/alanine/basins_data.csv",
           "results/figures/ramachandran_data.png")


def test_test_run_outputs(test_run_dir):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())["alanine"]
    with np.load(test_run_dir / TARGETS[0], allow_pickle=False) as data:
        table = {k: data[k] for k in data.files}
    per_replica = cfg["production_ps"] / cfg["replicas"]
    frames = int(per_replica) + 1                          # 1 ps frames, both ends included
    assert table["phi"].shape == table["psi"].shape == (cfg["replicas"] * frames,)
    assert np.array_equal(table["segment"], np.repeat(np.arange(cfg["replicas"]), frames))
    assert np.array_equal(table["time_ps"], np.tile(np.arange(frames, dtype=float), cfg["replicas"]))
    assert list(table["phi_atom_names"]) == ["ACE1:C", "ALA2:N", "ALA2:CA", "ALA2:C"]
    # Replicas start from the same equilibrated state and then differ (their own thermostat noise).
    first = table["segment"] == 0
    assert table["phi"][first][0] == pytest.approx(table["phi"][~first][0], abs=1e-3)
    assert not np.allclose(table["phi"][first][1:], table["phi"][~first][1:])
    basins = pd.read_csv(test_run_dir / TARGETS[1])
    assert basins["population"].sum() == pytest.approx(1.0)
    assert (test_run_dir / TARGETS[2]).stat().st_size > 10_000
    # Work folders are removed after each stage; every chunk kept its GROMACS log.
    md_dir = test_run_dir / "results/alanine/md"
    assert not list(md_dir.rglob("*.work"))
    assert len(list(md_dir.glob("replica*/chunk*.log"))) == len(list(md_dir.glob("replica*/chunk*.xtc"))) == 4


def test_longer_production_adds_chunks_only(test_run_dir, dry_run_jobs):
    cfg = yaml.safe_load((test_run_dir / TEST_CONFIG).read_text())
    cfg["alanine"]["production_ps"] += cfg["alanine"]["replicas"] * cfg["alanine"]["chunk_ps"]
    counts = dry_run_jobs(test_run_dir, *TARGETS, override=cfg)
    assert counts == {"alanine_production": cfg["alanine"]["replicas"],
                      "alanine_dihedrals": 1, "alanine_basins_data": 1,
                      "alanine_ramachandran_data": 1}


def test_paper_dag_has_one_microsecond_in_chained_chunks(tmp_path, dry_run_jobs):
    workdir = copy_workflow(tmp_path / "copy")
    counts = dry_run_jobs(workdir, *TARGETS, configfile="workflow/configs/paper.yaml")
    paper = yaml.safe_load((workdir / "workflow/configs/paper.yaml").read_text())["alanine"]
    assert paper["production_ps"] == 1e6 and paper["nvt_ps"] == paper["npt_ps"] == 1e4
    assert counts["alanine_production"] == paper["production_ps"] / paper["chunk_ps"]
    assert counts["alanine_nvt"] == counts["alanine_npt"] == 1


def test_bring_your_own_trajectory_skips_the_simulation(tmp_path):
    workdir = copy_workflow(tmp_path / "copy")
    angles = np.array([[-63.0, -42.0], [-75.0, 145.0], [-150.0, 155.0], [60.0, 45.0]] * 3)
    write_alanine_dipeptide_pdb(workdir / "mine.pdb")
    top = md.load_topology(str(workdir / "mine.pdb"))
    xyz = np.array([[a.xyz / 10 for a in build_alanine_dipeptide(*pair)] for pair in angles])
    md.Trajectory(xyz.astype(np.float32), top, time=np.arange(len(angles), dtype=float)).save_dcd(
        str(workdir / "mine.dcd"))
    cfg = yaml.safe_load((workdir / TEST_CONFIG).read_text())
    cfg["alanine"].update(trajectories=["mine.dcd"], topology="mine.pdb", bootstrap_block_ps=1.0)
    (workdir / "byo.yaml").write_text(yaml.safe_dump(cfg))
    out = run_snakemake(workdir, "--cores", "2", *TARGETS, "--configfile", "byo.yaml").stdout
    assert not (workdir / "results/alanine/md").exists()
    with np.load(workdir / TARGETS[0], allow_pickle=False) as data:
        assert np.allclose(data["phi"], angles[:, 0], atol=0.01)
        assert np.allclose(data["psi"], angles[:, 1], atol=0.01)
    basins = pd.read_csv(workdir / TARGETS[1]).set_index("basin")["population"]
    assert basins.to_dict() == pytest.approx({"alpha_R": 0.25, "beta": 0.25, "P_II": 0.25,
                                              "alpha_L": 0.25, "other": 0.0})
    assert "alanine_system" not in out
