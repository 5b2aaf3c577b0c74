"""A tiny real GROMACS run of the paper's protocol (seconds on 2 cores): system set-up, steepest
descent, NVT, NPT, two chained production chunks read back with mdtraj; a killed chunk resumes
to the bytes of an uninterrupted run and a -maxh-stopped chunk resumes; the fixed pair-list
buffer covers GROMACS' own estimate; clear errors when gmx is missing or fails."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from activediff.alanine import gromacs as gx
from activediff.alanine.dihedrals import read_dihedrals
from activediff.alanine.structure import write_alanine_dipeptide_pdb

pytestmark = pytest.mark.slow

DYN = dict(dt_ps=0.002, temperature=300.0, tau_t=0.1)
BARO = dict(pressure_bar=1.0, tau_p=2.0, compressibility=4.5e-5)
SALT = 0.15
AVOGADRO_PER_NM3_L = 0.6022   # mol/L -> molecules per nm^3


def production(first_step, n_steps, seed=7):
    return gx.production_params(first_step, n_steps, frame_ps=1.0, seed=seed, **DYN, **BARO)


@pytest.fixture(scope="module")
def md(tmp_path_factory):
    """Set-up, minimisation (200 steps at most), 2 ps NVT and 2 ps NPT, 2 cores."""
    root = tmp_path_factory.mktemp("gromacs")
    log = open(root / "gmx.log", "w")
    write_alanine_dipeptide_pdb(root / "ace.pdb", -75.0, 145.0)
    system = gx.prepare_system(root / "ace.pdb", root / "system", salt_molar=SALT,
                               box_margin_nm=1.0, seed=3, log=log)
    em = gx.run_minimization(gx.minimization_params(200), conf=system["structure"],
                             topology=system["topology"], work_dir=root / "em", threads=2, log=log)
    nvt = gx.run_resumable(gx.nvt_params(2.0, seed=5, **DYN), step="NVT", conf=Path(f"{em}.gro"),
                           restraint_ref=Path(f"{em}.gro"), topology=system["topology"],
                           work_dir=root / "nvt", threads=2, log=log)
    npt = gx.run_resumable(gx.npt_params(2.0, seed=6, restrain=False, **DYN, **BARO), step="NPT",
                           conf=Path(f"{nvt}.gro"), checkpoint=Path(f"{nvt}.cpt"),
                           topology=system["topology"], work_dir=root / "npt", threads=2, log=log)
    return dict(root=root, log=log, em=em, nvt=nvt, npt=npt, **system)


def test_system_is_solvated_neutral_salt_in_a_cubic_box(md):
    counts = gx.count_molecules(md["topology"])
    assert counts["Protein_chain_A"] == 1 and counts["SOL"] > 500
    lines = Path(md["structure"]).read_text().splitlines()
    box = np.array(lines[-1].split(), dtype=float)
    assert box.size == 3 and np.ptp(box) < 1e-6               # cubic
    xyz = np.array([[float(line[20 + 8 * k: 28 + 8 * k]) for k in range(3)] for line in lines[2:24]])
    assert np.all(xyz.min(0) >= 1.0 - 1e-3) and np.all(box - xyz.max(0) >= 1.0 - 1e-3)   # 1 nm margin
    # genion: NaCl pairs = conc x volume x N_A (rounded), no net charge for the neutral peptide.
    assert counts["NA"] == counts["CL"]
    assert abs(counts["NA"] - SALT * box.prod() * AVOGADRO_PER_NM3_L) <= 1.0
    assert 3 * counts["SOL"] + 22 + 2 * counts["NA"] == int(lines[1])


def test_minimisation_lowers_the_largest_force(md):
    text = Path(f"{md['em']}.log").read_text()
    fmax = float(re.search(r"Maximum force\s+=\s+([0-9.eE+-]+)", text).group(1))
    assert fmax < 5e3   # the built structure starts with clashes against water far above this


def test_nvt_temperature_is_near_300_K(md):
    out = subprocess.run(["gmx", "energy", "-f", f"{md['nvt']}.edr", "-o", str(md["root"] / "t.xvg")],
                         input="Temperature\n\n", capture_output=True, text=True,
                         env=gx.gmx_env(), cwd=md["root"])
    mean = float(re.search(r"^Temperature\s+([0-9.]+)", out.stdout, flags=re.M).group(1))
    # v-rescale at tau_t = 0.1 ps reaches 300 K within 2 ps; ~4000 degrees of freedom.
    assert abs(mean - 300.0) < 15.0


def test_chained_chunks_read_back_with_mdtraj(md):
    prev, series = md["npt"], []
    for chunk in range(2):
        stem = gx.run_resumable(production(1000 * chunk, 1000), step=f"chunk {chunk}",
                                conf=Path(f"{prev}.gro"), checkpoint=Path(f"{prev}.cpt"),
                                topology=md["topology"], work_dir=md["root"] / f"chunk{chunk}",
                                threads=2, log=md["log"])
        series.append(read_dihedrals(f"{stem}.xtc", md["structure"]))
        prev = stem
    # One frame per ps, the time axis continues across chunks (the boundary frame repeats).
    assert np.array_equal(series[0].time_ps, [0, 1, 2]) and np.array_equal(series[1].time_ps, [2, 3, 4])
    assert series[1].phi[0] == pytest.approx(series[0].phi[-1], abs=1e-3)
    for s in series:
        assert np.all(np.isfinite(s.phi)) and np.all(np.abs(s.psi) <= 180)
        assert s.atoms.phi_names == ("ACE1:C", "ALA2:N", "ALA2:CA", "ALA2:C")
    # Only the peptide is stored (compressed-x-grps = Protein).
    import mdtraj
    with mdtraj.formats.XTCTrajectoryFile(f"{prev}.xtc") as fh:
        assert fh.read(n_frames=1)[0].shape[1] == 22


def _frames(xtc):
    import mdtraj
    with mdtraj.formats.XTCTrajectoryFile(str(xtc)) as fh:
        return fh.read()[1]


def _checkpoint_state(cpt):
    """The simulation state in a checkpoint (gmx dump -cp from the box to the energy sums), without
    its header (date, host, part number) and output-file list (names, offsets, the log's checksum)."""
    text = subprocess.run(["gmx", "dump", "-cp", str(cpt)], capture_output=True, text=True,
                          env=gx.gmx_env(), check=True).stdout
    return text[text.index("\nbox (3x3):"):text.index("\nnumber of output files")]


def _kill_after_first_checkpoint(params, work, *, npt, topology, threads, checkpoint_minutes):
    """Run a chunk like a batch job (run_resumable in its own process group) and SIGKILL the job
    and mdrun, as a wall-time limit would, once mdrun has written a checkpoint mid-chunk and the
    trajectory has grown past it. Returns the checkpoint's step."""
    call = (f"import json; from pathlib import Path; from activediff.alanine import gromacs as gx; "
            f"gx.run_resumable(json.loads({json.dumps(json.dumps(params))}), step='killed', "
            f"conf=Path('{npt}.gro'), checkpoint=Path('{npt}.cpt'), topology=Path('{topology}'), "
            f"work_dir=Path('{work}'), threads={threads}, checkpoint_minutes={checkpoint_minutes})")
    job = subprocess.Popen([sys.executable, "-c", call], start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpt, xtc = work / "run.cpt", work / "run.xtc"
    deadline = time.time() + 120
    while not cpt.exists() and job.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    size = xtc.stat().st_size if xtc.exists() else 0
    while xtc.exists() and xtc.stat().st_size == size and job.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert job.poll() is None, "the run ended before it could be killed: make it longer"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    return gx.checkpoint_step(cpt)


def test_killed_chunk_resumes_to_the_bytes_of_an_uninterrupted_run(md):
    """A production chunk killed with SIGKILL after its first mid-chunk checkpoint and rerun
    continues from the checkpoint (no new run input, every frame once) and ends with the xtc, edr
    and gro bytes, and the final state, of the same chunk run without a kill. This needs the fixed
    pair-list buffer: under pressure coupling GROMACS' tolerance-sized buffer depends on the box
    at each start, and the resumed trajectory diverged."""
    steps, threads, minutes = 3000, 2, 0.005   # 6 ps; a checkpoint every 0.3 s of wall time
    params = production(0, steps, seed=9)
    assert params["verlet-buffer-tolerance"] == -1 and params["pcoupl"] == "Parrinello-Rahman"
    args = dict(conf=Path(f"{md['npt']}.gro"), checkpoint=Path(f"{md['npt']}.cpt"),
                topology=md["topology"], threads=threads, checkpoint_minutes=minutes)
    work = md["root"] / "killed"
    killed_at = _kill_after_first_checkpoint(params, work, npt=md["npt"], topology=md["topology"],
                                             threads=threads, checkpoint_minutes=minutes)
    assert 0 < killed_at < steps
    assert (work / "run.xtc").stat().st_size > 0

    resumed_log = md["root"] / "resumed.log"
    with open(resumed_log, "w") as log:
        resumed = gx.run_resumable(params, step="killed", work_dir=work, log=log, **args)
    text = resumed_log.read_text()
    assert f"resuming from checkpoint {work}/run.cpt (step {killed_at})" in text
    assert re.search(rf"continuing from step {killed_at}", text)
    assert "grompp" not in text.split("resuming")[1]          # no new run input, no restart
    lists = re.findall(r"updated every .*", Path(f"{resumed}.log").read_text())   # both starts
    assert lists == ["updated every 10 steps, buffer 0.050 nm, rlist 1.050 nm"] * 2   # as given
    assert np.array_equal(_frames(f"{resumed}.xtc"), np.arange(7.0))
    assert gx.checkpoint_step(Path(f"{resumed}.cpt")) == steps

    whole = gx.run_resumable(params, step="uninterrupted", work_dir=md["root"] / "uninterrupted",
                             log=md["log"], **args)
    for suffix in (".xtc", ".edr", ".gro"):
        assert Path(f"{resumed}{suffix}").read_bytes() == Path(f"{whole}{suffix}").read_bytes(), suffix
    assert _checkpoint_state(f"{resumed}.cpt") == _checkpoint_state(f"{whole}.cpt")


def test_fixed_pairlist_buffer_covers_the_tolerance_estimate(md, tmp_path):
    """GROMACS' own buffer estimate for this system at 300 K (default tolerance, 0.005 kJ/mol/ps
    per atom, at our nstlist) is below the fixed rlist, for the cluster list this build uses and
    for a plain atom-pair list: the fixed buffer loses no accuracy."""
    fixed = gx.FIXED_PAIRLIST
    params = {**production(0, 0), "verlet-buffer-tolerance": 0.005}
    del params["rlist"]
    tpr = tmp_path / "probe.tpr"
    gx.grompp(params, Path(f"{md['npt']}.gro"), md["topology"], tpr, step="probe",
              checkpoint=Path(f"{md['npt']}.cpt"), log=md["log"])
    gx.run_gmx(["mdrun", "-s", tpr, "-deffnm", tmp_path / "probe", "-ntmpi", "1", "-ntomp", "1",
                "-nstlist", str(fixed["nstlist"])], step="probe: mdrun", log=md["log"])
    text = (tmp_path / "probe.log").read_text()
    line = r"updated every (\d+) steps, buffer [0-9.]+ nm, rlist ([0-9.]+) nm"
    cluster, atom_pairs = text.split("equivalent classical 1x1 list would be:")[:2]
    found = [re.search(line, part.split("pair-list setup")[-1]).groups()
             for part in (cluster, atom_pairs)]
    assert [int(n) for n, _ in found] == [fixed["nstlist"]] * 2, found
    cluster_rlist, pair_rlist = (float(r) for _, r in found)   # this build's list, a 1x1 list
    # 300 K, this box: 1.000 nm (the 4x4 clusters are buffer enough) and 1.035 nm.
    assert 1.0 <= cluster_rlist <= fixed["rlist"] - 0.03, found
    assert cluster_rlist <= pair_rlist <= fixed["rlist"], found


def test_maxh_stop_fails_the_job_and_a_rerun_finishes(md):
    work = md["root"] / "maxh"
    args = dict(step="maxh", conf=Path(f"{md['npt']}.gro"), checkpoint=Path(f"{md['npt']}.cpt"),
                topology=md["topology"], work_dir=work, threads=2, log=md["log"])
    with pytest.raises(gx.IncompleteRun, match=r"mdrun stopped at step \d+ of 2000"):
        gx.run_resumable(production(0, 2000, seed=11), maxh=0.0001, **args)   # 0.36 s
    stem = gx.run_resumable(production(0, 2000, seed=11), **args)
    assert np.array_equal(_frames(f"{stem}.xtc"), np.arange(5.0))


def test_changed_inputs_start_afresh(md):
    work = md["root"] / "changed"
    args = dict(conf=Path(f"{md['npt']}.gro"), checkpoint=Path(f"{md['npt']}.cpt"),
                topology=md["topology"], work_dir=work, threads=2)
    with pytest.raises(gx.IncompleteRun):
        gx.run_resumable(production(0, 2500, seed=1), step="a", maxh=0.0001, log=md["log"], **args)
    with open(md["root"] / "changed.log", "w") as log:
        gx.run_resumable(production(0, 500, seed=2), step="b", log=log, **args)
    text = (md["root"] / "changed.log").read_text()
    assert "inputs changed since the last attempt: starting afresh" in text
    assert "continuing from step" not in text


def test_same_inputs_give_the_same_bytes(md, tmp_path):
    # genion's and the thermostat's seeds are config values, and mdrun runs with -reprod.
    again = gx.prepare_system(md["root"] / "ace.pdb", tmp_path / "system", salt_molar=SALT,
                              box_margin_nm=1.0, seed=3, log=md["log"])
    assert again["structure"].read_bytes() == Path(md["structure"]).read_bytes()
    runs = [gx.run_resumable(production(0, 250, seed=4), step=f"repeat {i}",
                             conf=Path(f"{md['npt']}.gro"), checkpoint=Path(f"{md['npt']}.cpt"),
                             topology=md["topology"], work_dir=tmp_path / f"run{i}", threads=1,
                             log=md["log"]) for i in range(2)]
    assert Path(f"{runs[0]}.xtc").read_bytes() == Path(f"{runs[1]}.xtc").read_bytes()


def test_missing_gmx_names_the_step_and_the_ways_to_install(tmp_path):
    with pytest.raises(gx.GromacsError, match="system preparation: pdb2gmx: the GROMACS "
                       "executable 'gmx-not-installed' is not on PATH"):
        gx.prepare_system(tmp_path / "x.pdb", tmp_path, salt_molar=0.15, box_margin_nm=1.0,
                          gmx="gmx-not-installed")


def test_failing_step_shows_its_output_tail(tmp_path):
    (tmp_path / "bad.pdb").write_text("ATOM      1  XX  UNK A   1       0.000   0.000   0.000\nEND\n")
    with pytest.raises(gx.GromacsError) as err:
        gx.prepare_system(tmp_path / "bad.pdb", tmp_path / "out", salt_molar=0.15,
                          box_margin_nm=1.0, log=open(tmp_path / "log", "w"))
    message = str(err.value)
    assert "GROMACS step 'system preparation: pdb2gmx' failed (exit code" in message
    assert "UNK" in message and "Last lines of its output" in message


def test_mdp_values_follow_the_protocol():
    nvt = gx.nvt_params(100.0, seed=1, **DYN)
    assert nvt["define"] == "-DPOSRES" and nvt["tcoupl"] == "V-rescale" and nvt["nsteps"] == 50000
    assert nvt["pcoupl"] == "no" and nvt["gen-vel"] == "yes" and nvt["ref-t"] == "300 300"
    npt = gx.npt_params(100.0, seed=1, restrain=False, **DYN, **BARO)
    assert (npt["pcoupl"], npt["pcoupltype"], npt["tau-p"], npt["ref-p"]) == ("Parrinello-Rahman", "isotropic", 2.0, 1.0)
    assert "define" not in npt and npt["continuation"] == "yes"
    for params in (nvt, npt, production(0, 500)):   # resumable stages: the buffer as given
        assert {k: params[k] for k in gx.FIXED_PAIRLIST} == {"nstlist": 10, "verlet-buffer-tolerance": -1,
                                                             "rlist": 1.05}
    assert gx.minimization_params()["nstlist"] == 10 and "rlist" not in gx.minimization_params()
    assert "-reprod" in gx.mdrun_args(Path("x.tpr"), Path("x"), threads=1)
    prod = production(10_000, 500)
    assert (prod["integrator"], prod["dt"], prod["coulombtype"]) == ("md", 0.002, "PME")
    assert prod["nstxout-compressed"] == 500 and prod["compressed-x-grps"] == "Protein"
    assert prod["init-step"] == 10_000 and prod["nstxout"] == 0
    em = gx.minimization_params()
    assert (em["integrator"], em["nsteps"]) == ("steep", 50000)
    with pytest.raises(ValueError, match="not a whole number"):
        gx.steps(1.001, 0.002)
    assert "nsteps                   = 50000" in gx.mdp_text(nvt)
