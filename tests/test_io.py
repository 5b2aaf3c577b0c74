"""Atomic writes (nothing half-written survives, not even a killed writer's temporary file), numbers
that must be finite to be written (a NaN where a number was computed stops the write; "n/a" only
where the caller says a number does not apply), and how a script's bad input ends its log."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from activediff.evaluation import claims
from activediff.io import NonFiniteError, atomic_path, write_csv, write_json


def test_a_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("stop")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_number_is_not_written(tmp_path, bad):
    frame = pd.DataFrame({"dt": [0.1, 0.05, 0.01], "kl": [1.5, bad, 0.9], "em_amplification": [1.0, np.nan, 0.5]})
    target = tmp_path / "metrics.csv"
    with pytest.raises(NonFiniteError, match=r"metrics.csv: column 'kl' is -?(nan|inf) in row 1 of 3"):
        write_csv(target, frame, not_applicable=("em_amplification",))
    assert not list(tmp_path.iterdir())
    with pytest.raises(NonFiniteError, match=r"\['runs'\]\[1\]\['kl'\]"):
        write_json(tmp_path / "metrics.json", {"runs": [{"kl": 1.0}, {"kl": bad}]})
    assert not list(tmp_path.iterdir())


def test_not_applicable_numbers_are_written_as_such_and_read_back_as_nan(tmp_path):
    frame = pd.DataFrame({"sampler": ["em", "ode"], "kl": [0.123456789012, 2.0], "em_amplification": [1.25, np.nan],
                          "dof": [4.0, np.inf]})
    with pytest.raises(NonFiniteError, match="column 'dof' is inf"):
        write_csv(tmp_path / "t.csv", frame, not_applicable=("em_amplification",))
    write_csv(tmp_path / "t.csv", frame, not_applicable=("em_amplification",), infinite=("dof",))
    assert (tmp_path / "t.csv").read_text() == "sampler,kl,em_amplification,dof\nem,0.123456789,1.25,4\node,2,n/a,inf\n"
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["em_amplification"].isna().tolist() == [False, True] and back["dof"].tolist() == [4.0, np.inf]
    whole = frame.fillna(0.5)  # the same frame without a missing number is written as before
    write_csv(tmp_path / "u.csv", whole, infinite=("dof",))
    assert (tmp_path / "u.csv").read_text() == "sampler,kl,em_amplification,dof\nem,0.123456789,1.25,4\node,2,0.5,inf\n"


def test_a_ledger_keeps_its_text_and_its_missing_numbers_through_a_round_trip(tmp_path):
    rows = [claims.unmeasured_row("a claim", "fig4", "one temperature trained"),
            claims.derived_row("a sign", "figA6", "closed form", "t_a - t_p", 0.03)]
    claims.write(tmp_path / "part.csv", claims.table(rows))
    claims.write(tmp_path / "all.csv", claims.read(tmp_path / "part.csv"))
    assert (tmp_path / "all.csv").read_bytes() == (tmp_path / "part.csv").read_bytes()
    lines = (tmp_path / "all.csv").read_text().splitlines()
    assert lines[1].endswith(",,n/a,n/a,n/a,,n/a,n/a,n/a,not measured here")  # empty text, numbers n/a
    assert ",0.03,0,inf,closed form (sign),0,n/a,n/a,reproduced" in lines[2]


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
