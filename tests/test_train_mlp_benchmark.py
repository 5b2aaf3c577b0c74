"""benchmarks/train_mlp.py in a CI-sized form (no authors' checkout: recorded absent): every
variant is timed, the ensembles agree with the single-model trainer, and both floors are
recorded (their order is a timing, not asserted: CI machines are shared)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_train_mlp_benchmark_records_rates_and_floors(tmp_path):
    out = tmp_path / "train_mlp.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "train_mlp.py"), "--device", "cpu",
                           "--iterations", "30", "--warmup", "10", "--repeats", "1", "--members", "2",
                           "--samples", "200", "--steps", "5", "--out", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = json.loads(out.read_text())
    assert record["authors_loop"]["status"] == "absent"
    rates = record["training_it_per_cpu_s"]
    assert all(rates[f"{name}_median"] > 0 for name in ("baseline", "ours", "ensemble_2"))
    (agree,) = record["results_agree"]
    assert agree["ensemble_2_member0_max_abs_weight_diff"] < 1e-5
    assert record["gemm_floor"]["it_per_s"] > 0 and record["activation_floor"]["it_per_s"] > 0
    assert record["activation_floor"]["max_ratio_to_authors"] is None   # no authors' rate to divide by
