"""Stale Snakemake locks: removed only when the run that recorded them is certainly gone.
(The chaos test in test_recovery.py kills a real run and reruns the README's command.)"""

import json
import subprocess
import sys

import pytest

from activediff import runlock


def _locked(folder, owner):
    (folder / "locks").mkdir(parents=True)
    (folder / "locks" / "0.input.lock").write_text("a\n")
    (folder / "locks" / "0.output.lock").write_text("b\n")
    if owner is not None:
        (folder / runlock.OWNER).write_text(json.dumps(owner))
    return folder


def _finished_process() -> dict:
    """The record of a local run's process that ran on this host and has exited."""
    code = "import json; from activediff.runlock import this_process; print(json.dumps(this_process()))"
    return dict(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout), local=True)


def _this_run() -> dict:
    return dict(runlock.this_process(), local=True)


def test_locks_of_an_exited_run_are_removed(tmp_path):
    owner = _finished_process()
    folder = _locked(tmp_path / ".snakemake", owner)
    note = runlock.clear_stale_locks(folder)
    assert note == f"activediff: removed 2 lock(s) left by a killed run (pid {owner['pid']} on {owner['host']})"
    assert not list((folder / "locks").iterdir()) and not (folder / runlock.OWNER).exists()


def test_locks_from_before_a_reboot_are_removed(tmp_path):
    owner = dict(_this_run(), boot_id="another-boot")  # even with a live pid: another boot
    assert runlock.clear_stale_locks(_locked(tmp_path / ".snakemake", owner)) is not None


def test_a_reused_pid_is_not_the_run(tmp_path):
    owner = _this_run()
    owner["start"] -= 1  # this pid, but a process started at another time: the run is gone
    assert runlock.clear_stale_locks(_locked(tmp_path / ".snakemake", owner)) is not None


@pytest.mark.parametrize("case", ["live", "cluster_run", "other_host", "no_owner", "unreadable_owner"])
def test_other_locks_are_left_alone(tmp_path, case):
    me = _this_run()
    owner = {
        "live": me,
        "cluster_run": dict(_finished_process(), local=False),  # its jobs may still be queued
        "other_host": dict(_finished_process(), host=me["host"] + "-other"),  # cannot be checked from here
        "no_owner": None,
        "unreadable_owner": None,
    }[case]
    folder = _locked(tmp_path / ".snakemake", owner)
    if case == "unreadable_owner":
        (folder / runlock.OWNER).write_text("{not json")
    assert runlock.clear_stale_locks(folder) is None
    assert len(list((folder / "locks").iterdir())) == 2


def test_record_and_forget_owner(tmp_path):
    folder = tmp_path / ".snakemake"
    runlock.record_owner(folder, local=True)
    assert json.loads((folder / runlock.OWNER).read_text()) == _this_run()
    runlock.forget_owner(folder)
    assert not (folder / runlock.OWNER).exists()
    # Another process's record is not removed by this one.
    (folder / runlock.OWNER).write_text(json.dumps(_finished_process()))
    runlock.forget_owner(folder)
    assert (folder / runlock.OWNER).exists()


def test_no_locks_nothing_to_do(tmp_path):
    folder = tmp_path / ".snakemake"
    folder.mkdir()
    (folder / runlock.OWNER).write_text(json.dumps(_finished_process()))
    assert runlock.clear_stale_locks(folder) is None
