"""The KDE metric (KL and Bhattacharyya coefficient on a 500 x 500 grid, bandwidth 0.01, IQR fence
2): ours (activediff.evaluation.metrics.kde_kl_bhattacharyya) against the authors' script
(scripts/quant_analysis.py of alamda/active-noise-SGM: filter_outliers + calculate_metrics,
sklearn KernelDensity), per CPU-second, at 512 and 10,000 points, with the two results compared.

Their functions are taken from their file as written (parsed out of the script, which runs its
analysis at import) and run by another Python that has scikit-learn (--authors-python; ours does
not depend on it), in a subprocess that times only the call (process time) after a warm-up call.
Rounds are interleaved (ours, theirs, at each size) so that both see the same machine load; one
thread each. Their code is non-commercial: run for comparison only, nothing of it is kept here.

    python benchmarks/kde_metric.py --authors /tmp/authors --authors-python /tmp/skl/bin/python
        # -> benchmarks/results/kde_metric_cpu.json
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from authors_code import THREAD_VARS  # noqa: E402

for _var in THREAD_VARS:
    os.environ[_var] = "1"  # before numpy's import: one BLAS thread, as the authors' side gets

import numpy as np  # noqa: E402

from activediff.evaluation.metrics import kde_kl_bhattacharyya  # noqa: E402
from activediff.io import write_json  # noqa: E402
from activediff.machine import load_average, machine_info  # noqa: E402
from activediff.toy import data as toy  # noqa: E402


FUNCTIONS = ("filter_outliers", "calculate_metrics")
# Run by --authors-python: their two functions (source given in argv[1]) on data and generated
# points (argv[2], argv[3]); prints JSON {kl, bc, seconds: [process time of each timed call]}.
RUNNER = """
import json, sys, time
import numpy as np
from sklearn.neighbors import KernelDensity
namespace = {"np": np, "KernelDensity": KernelDensity}
exec(open(sys.argv[1]).read(), namespace)
data, gen = np.load(sys.argv[2]), np.load(sys.argv[3])
def call():
    kept, mask = namespace["filter_outliers"](gen)
    return namespace["calculate_metrics"](data[mask], kept)
call()  # warm-up
seconds = []
for _ in range(int(sys.argv[4])):
    start = time.process_time()
    kl, bc = call()
    seconds.append(time.process_time() - start)
print(json.dumps({"kl": float(kl), "bc": float(bc), "seconds": seconds}))
"""


def authors_functions(checkout: Path) -> str:
    """Source of their filter_outliers and calculate_metrics, as written in their script."""
    text = (checkout / "scripts" / "quant_analysis.py").read_text()
    found = {node.name: ast.get_source_segment(text, node) for node in ast.parse(text).body
             if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS}
    missing = sorted(set(FUNCTIONS) - set(found))
    if missing:
        raise SystemExit(f"{checkout}/scripts/quant_analysis.py: no function {missing}")
    return "\n\n".join(found[name] for name in FUNCTIONS)


def point_sets(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Diamond data and a second, independent draw of it with 1% far outliers (as a diverging
    sampler leaves: the fence drops them on both sides)."""
    data = toy.sample("diamond", n, seed, B=0.5, std=0.04)
    gen = toy.sample("diamond", n, seed + 1, B=0.5, std=0.04)
    gen[:: 100] *= 50.0
    return data, gen


def ours(data, gen, calls: int) -> dict:
    kde_kl_bhattacharyya(data, gen)  # warm-up
    seconds = []
    for _ in range(calls):
        start = time.process_time()
        kl, bc = kde_kl_bhattacharyya(data, gen)
        seconds.append(time.process_time() - start)
    return {"kl": kl, "bc": bc, "seconds": seconds}


def theirs(python: str, functions: Path, data_path: Path, gen_path: Path, calls: int) -> dict:
    env = dict(os.environ, **{var: "1" for var in THREAD_VARS})
    out = subprocess.run([python, "-c", RUNNER, str(functions), str(data_path), str(gen_path), str(calls)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", required=True, help="checkout of alamda/active-noise-SGM")
    parser.add_argument("--authors-python", required=True, help="a Python with numpy and scikit-learn")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 10000])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per side and round")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default="benchmarks/results/kde_metric_cpu.json")
    args = parser.parse_args(argv)
    info = machine_info(threads=1, numpy=np.__version__)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        functions = Path(tmp) / "functions.py"
        functions.write_text(authors_functions(Path(args.authors)))
        inputs = {}
        for n in args.sizes:
            data, gen = point_sets(n, args.seed)
            inputs[n] = (data, gen, Path(tmp) / f"data{n}.npy", Path(tmp) / f"gen{n}.npy")
            np.save(inputs[n][2], data)
            np.save(inputs[n][3], gen)
        runs = {n: {"ours": [], "authors": []} for n in args.sizes}
        for _ in range(args.repeats):
            for n in args.sizes:
                data, gen, data_path, gen_path = inputs[n]
                runs[n]["ours"].append(ours(data, gen, args.calls))
                runs[n]["authors"].append(theirs(args.authors_python, functions, data_path, gen_path, args.calls))
    for n in args.sizes:
        per = {side: statistics.median(s for run in runs[n][side] for s in run["seconds"]) for side in runs[n]}
        a, b = runs[n]["ours"][0], runs[n]["authors"][0]
        results[str(n)] = {
            "ours_cpu_s": per["ours"], "authors_cpu_s": per["authors"], "speedup": per["authors"] / per["ours"],
            "ours": {"kl": a["kl"], "bc": a["bc"]}, "authors": {"kl": b["kl"], "bc": b["bc"]},
            "relative_difference": {"kl": abs(a["kl"] - b["kl"]) / abs(b["kl"]), "bc": abs(a["bc"] - b["bc"]) / abs(b["bc"])},
        }
    info["load_average_at_end"] = load_average()
    record = {"benchmark": "kde_metric", "command": " ".join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])),
              "machine": info, "settings": {"grid": 500, "bandwidth": 0.01, "iqr_threshold": 2.0,
                                            "repeats": args.repeats, "calls": args.calls, "seed": args.seed},
              "results": results}
    write_json(args.out, record)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
