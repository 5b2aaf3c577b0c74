"""benchmarks/sample.py in a CI-sized form, our side only (the authors' code stays outside the
repository; without --authors the record says it is absent): every cell is timed, has its
evaluation count, network floor and quality numbers, and the JSON carries the machine and load."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_sample_benchmark_records_our_side(tmp_path):
    out = tmp_path / "sample.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "sample.py"), "--samples", "256", "--steps", "10",
                           "--train-iterations", "20", "--repeats", "1", "--processes", "active", "cld",
                           "--out", str(out)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = json.loads(out.read_text())
    assert record["authors"]["status"] == "absent"
    assert {"load_average_at_start", "load_average_at_end", "cpu_model"} <= set(record["machine"])
    assert set(record["results"]) == {"data_vs_data", "active", "cld"}
    for process in ("active", "cld"):
        cells = record["results"][process]["cells"]
        assert set(cells) == {"em10", "ode"}
        assert cells["em10"]["ours"]["evals_per_sample"] == 10
        assert cells["ode"]["ours"]["evals_per_sample"] > 10  # adaptive RK45: at least a few steps of 6
        for cell in cells.values():
            assert cell["ours"]["cpu_s"] > 0 and cell["network_floor_cpu_s"] > 0
            assert cell["ours"]["kl"] >= 0 and 0 < cell["ours"]["bhattacharyya"] <= 1 + 1e-9
            assert "speedup" not in cell  # nothing to compare with
