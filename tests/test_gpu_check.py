"""benchmarks/gpu_check.sh in its CPU, CI-sized form: every check runs and passes, and the JSON
names each comparison with its value and limit (on CPU the "device" runs are CPU runs)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_on_cpu(tmp_path):
    proc = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_check.sh"), "--device", "cpu", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env={"PYTHON": sys.executable,
                                                                           "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads((tmp_path / "gpu_check_cpu.json").read_text())
    assert report["passed"] and report["machine"]["device"] == "cpu"
    names = {c["name"] for c in report["checks"]}
    assert {"single: device vs CPU weights", "ensemble: device vs CPU weights (worst member)",
            "ising: device route energy vs exact (z)", "end to end: sliced W2 to the data, device vs CPU model"} <= names
    assert all(c["value"] <= c["limit"] for c in report["checks"])
    assert report["rates"]["single_it_per_s"] > 0 and any(k.startswith("ensemble_") for k in report["rates"])
