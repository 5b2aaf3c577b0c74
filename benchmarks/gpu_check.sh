#!/usr/bin/env bash
# Device check for a lent GPU (issue 13 item 5), in one script and under 5 minutes on CUDA:
#   1. the single-model trainer on the device (CUDA graphs on) against the same run on CPU;
#   2. the ensemble trainer (5 members) on the device against the CPU ensemble and against the
#      device's single-model runs of the same seeds; model-iterations per second of both;
#   3. the Ising CUDA generator (torch checkerboard) validated against the exact finite-lattice
#      energy and compared with the CPU (numba) route;
#   4. a short end-to-end toy run: train on the device, sample with Euler-Maruyama, and compare the
#      samples' sliced Wasserstein distance to the data with the CPU-trained model's.
# Writes benchmarks/results/gpu_check_cuda.json (rates, tolerances, every comparison, passed) and
# exits non-zero if a check fails.
#
#   bash benchmarks/gpu_check.sh                          # CUDA, full size
#   bash benchmarks/gpu_check.sh --device cpu --out DIR   # the same checks on CPU, CI size (seconds)
#
# On CPU the "device" runs are CPU runs too, so the comparisons check the script and the
# tolerances' plumbing, not a GPU (tests/test_gpu_check.py runs it that way).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
exec "$PYTHON" - "$@" <<'PY'
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from activediff.diffusion.samplers import euler_maruyama, time_grid
from activediff.diffusion.sde import make_sde
from activediff.evaluation.metrics import sliced_wasserstein2
from activediff.io import write_json
from activediff.ising.mcmc import generate
from activediff.ising.observables import energy_per_spin
from activediff.ising.validation import validate_samples
from activediff.machine import load_average, machine_info
from activediff.toy import data as toy
from activediff.training.checkpoints import read_checkpoint
from activediff.training.ensemble import train_ensemble
from activediff.training.train import TrainSettings, train

parser = argparse.ArgumentParser(prog="gpu_check.sh")
parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
parser.add_argument("--out", default="benchmarks/results")
args = parser.parse_args()
device = args.device
if device == "cuda" and not torch.cuda.is_available():
    sys.exit("gpu_check.sh: no CUDA device here (use --device cpu for the CI-sized check)")
full = device == "cuda"
torch.set_num_threads(1 if not full else min(8, os.cpu_count() or 1))
SIZE = dict(compare_iters=200 if full else 20, rate_iters=3000 if full else 40, members=5 if full else 3,
            batch=512 if full else 64, ising_L=32 if full else 8, ising_samples=4096 if full else 128,
            ising_burn=2000 if full else 200, e2e_iters=2000 if full else 40, e2e_samples=4000 if full else 200,
            e2e_steps=200 if full else 20)
TOL = dict(weights_atol=1e-3, loss_rtol=1e-3, ising_z=5.0, e2e_sw2_rtol=0.5, e2e_sw2_atol=2e-3)
SDE = make_sde("active", k=1.0, tau=0.25, Tp=0.0, Ta=1.0, eta0="stationary")
DATA = {"kind": "diamond", "B": 0.5, "std": 0.04}
SEEDS = [7 + k for k in range(SIZE["members"])]
tmp = Path(tempfile.mkdtemp(prefix="gpu-check-"))
checks, rates = [], {}


def data_fn(n, seed):
    return toy.sample("diamond", n, seed, B=0.5, std=0.04)


def check(name, value, limit, passed, **extra):
    checks.append(dict(name=name, value=float(value), limit=float(limit), passed=bool(passed), **extra))
    print(f"{'ok  ' if passed else 'FAIL'} {name}: {value:.3g} (limit {limit:.3g})", file=sys.stderr)


def settings(iters):
    return TrainSettings(checkpoints=(iters,), batch_size=SIZE["batch"], log_every=min(100, iters), ema_warmup=True)


def single(dev, seed, iters, tag):
    out = tmp / tag
    s = settings(iters)
    start = time.perf_counter()
    model = train(s, SDE, data_fn, DATA, seed, {iters: out / "ckpt.pt"}, out / "log.csv", out / "state", device=dev,
                  progress=False)
    return time.perf_counter() - start, read_checkpoint(out / "ckpt.pt"), model


def ensemble(dev, iters, tag):
    out = tmp / tag
    s = settings(iters)
    start = time.perf_counter()
    models = train_ensemble(s, SDE, data_fn, DATA, SEEDS, [{iters: out / f"ckpt{k}.pt"} for k in SEEDS],
                            [out / f"log{k}.csv" for k in SEEDS], out / "state", device=dev, progress=False)
    return time.perf_counter() - start, [read_checkpoint(out / f"ckpt{k}.pt") for k in SEEDS], models


def weight_gap(a, b):
    return max(float((a[key][n] - b[key][n]).abs().max()) for key in ("model", "ema") for n in a[key])


# 1-2. trainers: agreement over a short run, rates over a longer one
n = SIZE["compare_iters"]
_, ref, _ = single("cpu", SEEDS[0], n, "single_cpu")
_, dev_single, _ = single(device, SEEDS[0], n, "single_dev")
check("single: device vs CPU weights", weight_gap(dev_single, ref), TOL["weights_atol"],
      weight_gap(dev_single, ref) <= TOL["weights_atol"], iterations=n)
_, ens_cpu, _ = ensemble("cpu", n, "ens_cpu")
_, ens_dev, _ = ensemble(device, n, "ens_dev")
gap = max(weight_gap(a, b) for a, b in zip(ens_dev, ens_cpu))
check("ensemble: device vs CPU weights (worst member)", gap, TOL["weights_atol"], gap <= TOL["weights_atol"])
gap = weight_gap(ens_dev[0], dev_single)
check("ensemble member 0 vs single model, both on the device", gap, TOL["weights_atol"], gap <= TOL["weights_atol"])
n = SIZE["rate_iters"]
wall, _, _ = single(device, SEEDS[0], n, "single_rate")
rates["single_it_per_s"] = n / wall
wall, _, _ = ensemble(device, n, "ens_rate")
rates[f"ensemble_{len(SEEDS)}_model_it_per_s"] = len(SEEDS) * n / wall
rates["rate_iterations"] = n

# 3. Ising generator: device route validated, and against the CPU route
L, T = SIZE["ising_L"], 2.0
kw = dict(chains=min(1024, SIZE["ising_samples"]), burn_in_sweeps=SIZE["ising_burn"], thinning_sweeps=50)
start = time.perf_counter()
dev_lat = generate(L, T, SIZE["ising_samples"], 11, device=device, backend="torch", **kw)
rates["ising_generate_s"] = time.perf_counter() - start
cpu_lat = generate(L, T, SIZE["ising_samples"], 12, device="cpu", backend="numba", **kw)
report = validate_samples(dev_lat, T)
e_dev, e_cpu = energy_per_spin(dev_lat.lattices), energy_per_spin(cpu_lat.lattices)
z = abs(e_dev.mean() - e_cpu.mean()) / np.hypot(report["energy_per_spin"]["stderr"],
                                                e_cpu.std(ddof=1) / np.sqrt(len(e_cpu)))
check("ising: device route energy vs CPU route (z)", z, TOL["ising_z"], z <= TOL["ising_z"], L=L, T=T)
z_exact = [t for t in report["tests"] if t["name"] == "energy_mean"][0]
check("ising: device route energy vs exact (z)", abs(z_exact["z"]), report["sigma_limit"], z_exact["passed"])

# 4. end to end: train, sample, compare with the CPU-trained model
n = SIZE["e2e_iters"]
sw2 = {}
for dev in ("cpu", device):
    _, _, model = single(dev, SEEDS[0], n, f"e2e_{dev}")
    model = model.to(dev).eval().requires_grad_(False)
    gen = torch.Generator(device="cpu").manual_seed(0)
    shape = (SIZE["e2e_samples"], SDE.n_channels, 2)
    u0 = SDE.prior_sample(torch.randn(shape, generator=gen, dtype=torch.float64)).to(dev)
    noise = torch.randn((SIZE["e2e_steps"],) + shape, generator=gen, dtype=torch.float64).to(dev)
    with torch.inference_mode():
        out = euler_maruyama(SDE, model, u0, noise, time_grid(SDE.t_max, 1e-3, SIZE["e2e_steps"]))
    x = out[:, 0].cpu().numpy()
    sw2[dev] = sliced_wasserstein2(x, data_fn(len(x), 99))
limit = TOL["e2e_sw2_atol"] + TOL["e2e_sw2_rtol"] * sw2["cpu"]
check("end to end: sliced W2 to the data, device vs CPU model", abs(sw2[device] - sw2["cpu"]), limit,
      abs(sw2[device] - sw2["cpu"]) <= limit, sw2_cpu=sw2["cpu"], sw2_device=sw2[device], iterations=n)

info = machine_info(device=device, torch=torch.__version__, torch_threads=torch.get_num_threads(),
                    **({"gpu": torch.cuda.get_device_name(0)} if full else {}))
info["load_average_at_end"] = load_average()
passed = all(c["passed"] for c in checks)
out = Path(args.out) / f"gpu_check_{device}.json"
write_json(out, {"machine": info, "size": SIZE, "tolerances": TOL, "rates": rates, "checks": checks, "passed": passed,
                 "cuda_graph": True})
print(f"{'passed' if passed else 'FAILED'}; wrote {out}", file=sys.stderr)
sys.exit(0 if passed else 1)
PY
