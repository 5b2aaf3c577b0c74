"""Atomic writes (nothing half-written survives, not even a killed writer's temporary file) and
how a script's bad input ends its log."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from activediff.io import atomic_path


def test_a_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("stop")
    assert not list(tmp_path.iterdir())


def test_a_killed_writers_temporary_file_goes_with_the_next_write(tmp_path):
    """SIGKILL inside the block skips its cleanup; the next successful write of the same path
    removes what it left, and nothing of other paths."""
    target, other = tmp_path / "train_log.csv", tmp_path / ".other.csv.abc.tmp.csv"
    other.write_text("another file's write in progress")
    code = textwrap.dedent(f"""
        import os, signal, time
        from activediff.io import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            tmp.write_text("half")
            print(tmp, flush=True)
            time.sleep(60)
    """)
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    left = writer.stdout.readline().strip()
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert os.path.exists(left) and not target.exists()
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, target.name]
    assert target.read_text() == "whole"


@pytest.mark.parametrize("error, last_line, traceback", [
    ("InputError('data.npz: 3 of 10 rows are not finite')", "InputError: data.npz: 3 of 10 rows are not finite", False),
    ("RuntimeError('a bug')", "RuntimeError: a bug", True),
])
def test_bad_input_ends_a_scripts_log_with_one_line(tmp_path, error, last_line, traceback):
    log = tmp_path / "job.log"
    code = (f"from activediff.io import InputError, log_to\nlog = log_to({str(log)!r})\n"
            f"log.info('started')\nraise {error}\n")
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1 and time.time() - start < 60
    lines = log.read_text().strip().splitlines()
    assert lines[-1] == last_line and "started" in lines[0]
    assert ("Traceback (most recent call last):" in lines) == traceback
