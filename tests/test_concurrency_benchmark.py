"""benchmarks/concurrency.py in a CI-sized form: one copy alone and two at once, each timed in its
own process; the record has every round's seconds, the throughput in cores and the machine."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_concurrency_benchmark_records_throughput(tmp_path):
    out = tmp_path / "concurrency.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "concurrency.py"), "--copies", "2",
                           "--iterations", "20", "--rounds", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = json.loads(out.read_text())
    assert {"load_average_at_start", "load_average_at_end", "cpu_model", "cpu_count"} <= set(record["machine"])
    (round_,) = record["rounds"]
    assert len(round_["together"]) == 2 and round_["alone"]["cpu_s"] > 0
    # throughput = copies x (alone wall) / (slowest copy's wall): at most ~2 cores' worth, never 0
    expected = 2 * round_["alone"]["wall_s"] / max(c["wall_s"] for c in round_["together"])
    assert record["throughput_cores_median"] == expected > 0
