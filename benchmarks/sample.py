"""Sampling speed per CPU-second: our samplers against the authors' released sampler, on the same
network weights, with the network's own cost as the floor.

For passive, active (eta0 = zero, their kernel's convention) and CLD on the wide diamond: one 4x128
SiLU MLP per process is trained with our trainer (--train-iterations, seed 7) and its EMA weights
are loaded into both sides, so the two samplers integrate the same score (checked: both sides'
scores at 4,096 random (u, t), `same_score`). Each side then draws --samples 2D samples with
- Euler-Maruyama, 100 and 500 steps (--steps), the authors' toy settings: from t_max = 1 down to
  eps = 1e-3 with a final denoising step (N - 1 stochastic steps + 1, N score evaluations);
- the probability-flow ODE, RK45 at rtol = atol = 1e-5, then the denoising step.
Theirs: sampling.get_sampling_fn of alamda/active-noise-SGM (--authors PATH, run unmodified in a
subprocess with stand-ins for the modules it imports but never calls, benchmarks/authors_code.py;
its ODE needs torchdiffeq, found on --authors-path). Ours: activediff.diffusion.samplers
.reverse_em_samples (grid authors_nn, per-sample Philox noise streams) and ode_sampler
.probability_flow_samples (per-sample step control), one batch.

Recorded per process and sampler: CPU seconds (process time, one thread each, median over
--repeats rounds, the sides interleaved in every round), samples per CPU-second, the speed-up
(their CPU time / ours), score evaluations (ours: mean per sample; theirs: per batch), the floor
(the network's forward passes alone at our evaluation count, the least time of 20 passes in every
round: no sampler of this float32 network can be cheaper), and the sample-quality check: KL and Bhattacharyya coefficient of each side's
samples against --samples fresh data points (activediff.evaluation.metrics, the authors' KDE
definition), next to the data-vs-data value, and of our samples against theirs
(`ours_vs_authors`), next to our samples against a second draw of ours with other noise streams
(`ours_vs_ours`: what two draws of one distribution score; the two agree when both samplers draw
the same distribution). The KDE metric's own timing against the authors' script is
benchmarks/kde_metric.py (it needs a Python with scikit-learn); its record is copied into this one
when present.

    python benchmarks/sample.py --authors /tmp/authors --authors-path /tmp/authors-deps
        # -> benchmarks/results/sample_cpu.json
Their code is non-commercial: run for comparison only, nothing of it is kept here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from authors_code import STAND_INS, THREAD_VARS  # noqa: E402

from activediff.diffusion.ode_sampler import probability_flow_samples  # noqa: E402
from activediff.diffusion.samplers import reverse_em_samples  # noqa: E402
from activediff.diffusion.sde import make_sde  # noqa: E402
from activediff.evaluation.metrics import kde_kl_bhattacharyya  # noqa: E402
from activediff.io import write_json  # noqa: E402
from activediff.machine import load_average, machine_info  # noqa: E402
from activediff.toy import data as toy  # noqa: E402
from activediff.training.train import TrainSettings, train  # noqa: E402

DATA = {"kind": "diamond", "B": 0.5, "std": 0.04}
TIME = {"beta": 4.0, "t_max": 1.0}
EPS, TOL, SEED = 1e-3, 1e-5, 7
SAME_SCORE_RTOL = 1e-3  # |their score - ours| / max |score| on the probe points
# Each process as ours (make_sde) and as theirs (their config keys); the same dynamics and kernel.
PROCESSES = {
    "passive": ({"k": 1.0, "T": 1.0}, {"sde": "passive", "k": 1.0, "Tp": 1.0}),
    "active": ({"k": 1.0, "tau": 0.25, "Tp": 0.0, "Ta": 1.0, "eta0": "zero"},
               {"sde": "active", "k": 1.0, "tau": 0.25, "Tp": 0.0, "Ta": 1.0}),
    "cld": ({"m_inv": 4.0, "gamma": 0.04}, {"sde": "cld", "m_inv": 4.0, "gamma": 0.04}),
}

# Run in a subprocess: their sampler on the given weights. argv[1]: a JSON spec; writes their score
# at the probe points (when the spec names them) and each cell's samples to .npy files, and prints JSON
# {"cells": {name: {"cpu_s", "nfe"}}, "stand_ins": [...]}.
RUNNER = STAND_INS + '''
import argparse, json, time
import numpy as np
import torch
spec = json.load(open(sys.argv[1]))
sys.path.insert(0, spec["checkout"])
torch.set_num_threads(1)
import sampling, sde_lib
from models import mlp, utils as mutils
from util.utils import build_beta_fn, build_beta_int_fn
SDES = {"passive": sde_lib.PassiveDiffusion, "active": sde_lib.ActiveDiffusion, "cld": sde_lib.CLD}

def make(method, steps):
    config = argparse.Namespace(**spec["config"], sampling_method=method, n_discrete_steps=steps)
    sde = SDES[config.sde](config, build_beta_fn(config), build_beta_int_fn(config))
    model = mutils.create_model(config)
    model.load_state_dict(torch.load(spec["weights"]))
    return config, sde, model.eval()

if spec.get("probe"):
    config, sde, model = make("em", 2)
    u, t = (torch.from_numpy(a) for a in np.load(spec["probe"]).values())
    with torch.no_grad():
        score = mutils.get_score_fn(config, sde, model)(u, t)
    np.save(spec["score"], score.double().numpy())
out = {}
for name, method, steps in spec["cells"]:
    config, sde, model = make(method, steps)
    sampling.get_sampling_fn(config, sde, (64, config.data_dim), config.sampling_eps)(model)  # warm-up
    run = sampling.get_sampling_fn(config, sde, (spec["n"], config.data_dim), config.sampling_eps)
    torch.manual_seed(spec["seed"])
    start = time.process_time()
    x, _, nfe = run(model)
    out[name] = {"cpu_s": time.process_time() - start, "nfe": int(nfe)}
    np.save(spec["samples"] % name, x.double().numpy())
print(json.dumps({"cells": out, "stand_ins": STUBBED}))
'''


def their_config(process: str, n: int) -> dict:
    """The authors' config keys for our problem (their config_toy.txt where it applies)."""
    return {**PROCESSES[process][1], "data_dim": 2, "is_image": False, "dataset": DATA["kind"], "device": "cpu",
            "name": "mlp", "beta_type": "linear", "beta0": TIME["beta"], "beta1": 0.0, "max_time": TIME["t_max"],
            "max_sampling_time": TIME["t_max"], "sampling_eps": EPS, "denoising": True, "striding": "linear",
            "sampling_solver": "scipy_solver", "sampling_solver_options": {"solver": "RK45"},
            "sampling_rtol": TOL, "sampling_atol": TOL, "numerical_eps": 1e-6, "mixed_score": False, "cld_objective": "hsm",
            "sampling_batch_size": n}


def cells(steps: list[int]) -> list[tuple[str, str, int | None]]:
    return [(f"em{n}", "em", n) for n in steps] + [("ode", "ode", None)]


def data_fn(n, seed):
    return toy.sample(DATA["kind"], n, seed, **{k: v for k, v in DATA.items() if k != "kind"})


def train_model(process: str, iterations: int, tmp: Path):
    """Our trainer's EMA model for one process (on the diamond, seed SEED)."""
    sde = make_sde(process, **PROCESSES[process][0], **TIME)
    settings = TrainSettings(checkpoints=(iterations,), ema_warmup=True, log_every=max(1, iterations))
    model = train(settings, sde, data_fn, DATA, SEED, {iterations: tmp / f"{process}.pt"}, tmp / f"{process}.csv",
                  tmp / f"{process}-state", device="cpu", threads=1, progress=False)
    return sde, model.eval().requires_grad_(False)


def ours(sde, model, n: int, steps: int | None, seed: int = SEED) -> dict:
    """One cell on our side: process time, evaluations per sample and the samples."""
    start = time.process_time()
    with torch.inference_mode():
        if steps is None:
            x, evals = probability_flow_samples(sde, model, (2,), n, seed, EPS, TOL, TOL, denoise=True, batch_size=n)
            evals = float(np.mean(evals))
        else:
            x = reverse_em_samples(sde, model, (2,), n, seed, sde.t_max / steps, EPS, denoise=True, batch_size=n,
                                   grid="authors_nn")
            evals = float(steps)
    return {"cpu_s": time.process_time() - start, "evals_per_sample": evals, "x": x}


def forward_seconds(model, n: int, repeats: int = 20) -> float:
    """Least process time of one network forward pass on n points (float32, no autograd): a floor."""
    net = model.net
    u = torch.randn((n,) + tuple(net.state_shape), generator=torch.Generator().manual_seed(0))
    t = torch.rand(n, generator=torch.Generator().manual_seed(1))
    times = []
    with torch.inference_mode():
        net(u, t)
        for _ in range(repeats):
            start = time.process_time()
            net(u, t)
            times.append(time.process_time() - start)
    return min(times)


class Authors:
    """Their sampler in a subprocess, on weights converted from our network."""

    def __init__(self, checkout: Path, extra_path: str | None, tmp: Path):
        self.checkout, self.tmp = checkout.resolve(), tmp
        self.runner = tmp / "authors_runner.py"
        self.runner.write_text(RUNNER)
        self.env = dict(os.environ, **{var: "1" for var in THREAD_VARS})
        if extra_path:
            self.env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, self.env.get("PYTHONPATH")) if p)
        self.stand_ins = None
        probe = subprocess.run([sys.executable, "-c", "import torchdiffeq"], capture_output=True, env=self.env)
        if probe.returncode:
            raise SystemExit("the authors' ODE sampler needs torchdiffeq: install it into a folder "
                             "(pip install --target DIR torchdiffeq) and pass --authors-path DIR")

    def score(self, process: str, model, probe: Path) -> np.ndarray:
        """Their score of our weights at the probe points (u, t)."""
        self.run(process, model, 0, [], tag="probe", probe=probe)
        return np.load(self.tmp / f"{process}-score.npy")

    def run(self, process: str, model, n: int, steps: list[int] | None, tag: str, probe: Path | None = None) -> dict:
        """Their sampler's cells (none for steps None) on our weights, run in a subprocess."""
        weights = self.tmp / f"{process}-authors.pt"
        if not weights.exists():  # our net.layers.i is their main.i: the same layer order and shapes
            torch.save({k.replace("layers.", "main.", 1): v for k, v in model.net.state_dict().items()}, weights)
        spec = {"checkout": str(self.checkout), "config": their_config(process, n), "weights": str(weights),
                "probe": str(probe) if probe else None, "score": str(self.tmp / f"{process}-score.npy"), "n": n,
                "seed": SEED, "cells": cells(steps) if steps else [], "samples": str(self.tmp / f"{process}-{tag}-%s.npy")}
        spec_path = self.tmp / f"{process}-{tag}.json"
        spec_path.write_text(json.dumps(spec))
        proc = subprocess.run([sys.executable, str(self.runner), str(spec_path)], capture_output=True, text=True,
                              env=self.env, cwd=self.tmp)
        if proc.returncode:
            raise RuntimeError(f"the authors' sampler failed ({process}):\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        self.stand_ins = result["stand_ins"]
        for name, cell in result["cells"].items():
            cell["x"] = np.load(spec["samples"] % name)
        return result


def same_score_check(authors: Authors, process: str, sde, model, tmp: Path, points: int = 4096) -> dict:
    """Both sides' scores of the same weights at random (u, t); stops the benchmark when they
    differ (the two samplers would not sample the same model)."""
    gen = torch.Generator().manual_seed(3)
    u = torch.randn((points, sde.n_channels * 2), generator=gen, dtype=torch.float64)
    t = EPS + (sde.t_max - EPS) * torch.rand(points, generator=gen, dtype=torch.float64)
    probe = tmp / f"{process}-probe.npz"
    np.savez(probe, u=u.numpy(), t=t.numpy())
    with torch.inference_mode():
        mine = model(u.reshape(points, sde.n_channels, 2), t)[:, model.channel].reshape(points, 2).numpy()
    theirs = authors.score(process, model, probe)
    check = {"max_abs_diff": float(np.abs(theirs - mine).max()), "max_abs_score": float(np.abs(mine).max()),
             "points": points}
    if check["max_abs_diff"] > SAME_SCORE_RTOL * check["max_abs_score"]:
        raise SystemExit(f"{process}: the two sides' scores differ ({check}): they would not sample the same model")
    return check


def quality(data: np.ndarray, x: np.ndarray) -> dict:
    kl, bc = kde_kl_bhattacharyya(data, x)
    return {"kl": kl, "bhattacharyya": bc}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", default=None, help="checkout of alamda/active-noise-SGM (else: absent)")
    parser.add_argument("--authors-path", default=None, help="extra PYTHONPATH for their side (torchdiffeq)")
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--train-iterations", type=int, default=4000)
    parser.add_argument("--processes", nargs="+", default=list(PROCESSES), choices=list(PROCESSES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kde-record", default=str(Path(__file__).parent / "results" / "kde_metric_cpu.json"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sample_cpu.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    info = machine_info(torch=torch.__version__, numpy=np.__version__, torch_threads=1)
    n = args.samples
    data = data_fn(n, SEED + 1)
    results = {"data_vs_data": quality(data, data_fn(n, SEED + 2))}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        authors = Authors(Path(args.authors), args.authors_path, tmp) if args.authors else None
        models = {p: train_model(p, args.train_iterations, tmp) for p in args.processes}
        runs = {p: {"ours": [], "authors": [], "forward": []} for p in args.processes}
        same_score = {p: same_score_check(authors, p, sde, model, tmp) for p, (sde, model) in models.items()} \
            if authors is not None else {}
        for rep in range(args.repeats):
            for process, (sde, model) in models.items():
                runs[process]["ours"].append({name: ours(sde, model, n, steps) for name, _, steps in cells(args.steps)})
                runs[process]["forward"].append(forward_seconds(model, n))
                if authors is not None:
                    runs[process]["authors"].append(authors.run(process, model, n, args.steps, str(rep)))
                print(f"round {rep} {process}: ours " + ", ".join(f"{k} {v['cpu_s']:.1f} s" for k, v in runs[process]["ours"][-1].items())
                      + ("" if authors is None else "; theirs " + ", ".join(
                          f"{k} {v['cpu_s']:.1f} s" for k, v in runs[process]["authors"][-1]["cells"].items())), file=sys.stderr)
        for process, (sde, model) in models.items():
            forward = min(runs[process]["forward"])  # the least of every round's
            per = {}
            for name, _, steps in cells(args.steps):
                mine = [r[name] for r in runs[process]["ours"]]
                cell = {"ours": {"cpu_s": statistics.median(r["cpu_s"] for r in mine),
                                 "evals_per_sample": mine[0]["evals_per_sample"], **quality(data, mine[0]["x"])}}
                cell["ours"]["samples_per_cpu_s"] = n / cell["ours"]["cpu_s"]
                cell["network_floor_cpu_s"] = forward * mine[0]["evals_per_sample"]
                again = ours(sde, model, n, steps, seed=SEED + 1)["x"]  # the same sampler, other streams
                cell["ours_vs_ours"] = quality(again, mine[0]["x"])
                if authors is not None:
                    theirs = [r["cells"][name] for r in runs[process]["authors"]]
                    cell["authors"] = {"cpu_s": statistics.median(r["cpu_s"] for r in theirs), "nfe": theirs[0]["nfe"],
                                       **quality(data, theirs[0]["x"])}
                    cell["authors"]["samples_per_cpu_s"] = n / cell["authors"]["cpu_s"]
                    cell["ours_vs_authors"] = quality(theirs[0]["x"], mine[0]["x"])
                    cell["speedup"] = cell["authors"]["cpu_s"] / cell["ours"]["cpu_s"]
                    cell["max_speedup_at_network_floor"] = cell["authors"]["cpu_s"] / cell["network_floor_cpu_s"]
                per[name] = cell
            entry = {"cells": per, "forward_cpu_s": forward}
            if process in same_score:
                entry["same_score"] = same_score[process]
            results[process] = entry
        stand_ins = authors.stand_ins if authors else None
    info["load_average_at_end"] = load_average()
    kde = Path(args.kde_record)
    record = {
        "benchmark": "sample", "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "machine": info,
        "settings": {"samples": n, "steps": args.steps, "eps": EPS, "rtol": TOL, "atol": TOL, "denoising": True,
                     "train_iterations": args.train_iterations, "repeats": args.repeats, "data": DATA, **TIME,
                     "processes": {p: PROCESSES[p][0] for p in args.processes}},
        "authors": ({"status": "absent", "notes": "no --authors checkout given"} if authors is None else
                    {"status": "measured", "checkout": str(Path(args.authors).resolve()), "stand_ins": stand_ins,
                     "sampler": "sampling.get_sampling_fn, unmodified"}),
        "results": results,
        "kde_metric": json.loads(kde.read_text())["results"] if kde.is_file() else {"status": "absent"},
        "notes": ("Per CPU-second (process time, one thread per side), medians over interleaved rounds. speedup = their "
                  "CPU time / ours. network_floor_cpu_s: our evaluation count x one forward pass of the network on all "
                  "samples; max_speedup_at_network_floor: the speed-up a sampler costing only its network "
                  "evaluations would reach. Quality: KL / Bhattacharyya against fresh data (data_vs_data: two data "
                  "draws), the same KDE metric for both sides; ours_vs_authors: our samples against theirs, equal to "
                  "ours_vs_ours (two draws of our sampler, other noise streams) up to noise when the two samplers "
                  "draw the same distribution."),
    }
    write_json(args.out, record)
    print(json.dumps({p: {c: {k: v for k, v in cell.items() if k in ("speedup", "max_speedup_at_network_floor")}
                          for c, cell in r["cells"].items()} for p, r in results.items() if "cells" in r}, indent=1))


if __name__ == "__main__":
    main()
