"""Training and sampling speed of the toy MLP: the authors' released loop, our single-model and
ensemble trainers, a plain eager PyTorch loop and the matrix-product floor, side by side.

All on one thread, interleaved (one round of every variant per repeat, so all see the same machine
load), per CPU-second (process time; the load averages are recorded):
- authors: the released training loop of alamda/active-noise-SGM (main.py -> run_lib_toy.train),
  given as a checkout (--authors PATH; recorded "absent" without it). It is copied to a temporary
  folder and run unmodified except for the CPU patches (gloo instead of NCCL, no
  torch.cuda.set_device, device cpu, DistributedDataParallel without device_ids) and stand-ins for
  modules it imports but never calls in toy training when they are not installed (tensorboard's
  SummaryWriter as a no-op; torchvision, scikit-learn, torchdiffeq; its CUDA-only `op` kernels).
  Its rate is the difference of two run lengths, so its start-up (imports, process group) is not
  counted. Same problem as ours: diamond, active process (tau 0.25), reweightedv2, 4x128 SiLU MLP,
  batch 512, Adam 1e-3, clipping 1, EMA 0.999. Their code is non-commercial: run for comparison only.
- baseline: the same math as ours written the ordinary way: per iteration the same batch (the
  same per-iteration seeds), kernel and loss with torch, backward, clip_grad_norm_, default Adam, a
  Python-loop EMA and loss.item() every step; starts from our initial weights, so its final weights
  agree with ours up to float rounding (`results_agree`).
- ours: activediff.training.train.train (set-up included, which favours the others).
- ensemble_M: activediff.training.ensemble.train_ensemble with M seeds (model-iterations, i.e.
  M x iterations, per CPU-second); ensemble_5_vmap the same with stacking "vmap" instead of "bmm".
- gemm_floor: a step that did only its matrix products: the bound on any trainer of this math;
  activation_floor: the same step plus the SiLU activations' forward and backward, which every
  trainer of this network computes too: a tighter bound.

    python benchmarks/train_mlp.py --device cpu --authors /tmp/authors  # -> benchmarks/results/train_mlp_cpu.json
    python benchmarks/train_mlp.py --device cuda
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from authors_code import STAND_INS  # noqa: E402

from activediff.devices import resolve_device  # noqa: E402
from activediff.diffusion.samplers import euler_maruyama, time_grid  # noqa: E402
from activediff.diffusion.sde import make_sde  # noqa: E402
from activediff.io import write_json  # noqa: E402
from activediff.machine import load_average, machine_info  # noqa: E402
from activediff.toy import data as toy  # noqa: E402
from activediff.training.ensemble import train_ensemble  # noqa: E402
from activediff.training.losses import ScoreMatchingLoss, batch_loss  # noqa: E402
from activediff.training.train import HostBatches, TrainSettings, build_score_model, train  # noqa: E402

DATA = {"kind": "diamond", "B": 0.5, "std": 0.04}
SDE = ("active", {"k": 1.0, "tau": 0.25, "Tp": 0.0, "Ta": 1.0, "eta0": "stationary"})
SEED = 7


def data_fn(n, seed):
    params = {k: v for k, v in DATA.items() if k != "kind"}
    return toy.sample(DATA["kind"], n, seed, **params)


def baseline_train(settings: TrainSettings, sde, iterations: int, device: torch.device, warmup: int):
    """Plain eager loop of the same math; returns (iterations per wall second after `warmup` steps,
    iterations per CPU second over the whole run, EMA weights, losses)."""
    cpu_start = time.process_time()
    model = build_score_model(settings, sde, (sde.n_channels, 2), SEED).to(device)
    ema_model = copy.deepcopy(model).requires_grad_(False)
    loss_fn = ScoreMatchingLoss(settings.weighting, settings.loss_eps)
    draws = HostBatches(loss_fn, model, data_fn, SEED, settings.batch_size, device)  # only its draw()
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    losses = []
    for i in range(1, iterations + 1):
        if i == warmup + 1:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        x0, t, noise = (torch.from_numpy(a).to(device) for a in draws.draw(i))
        loss = batch_loss(loss_fn(model, x0, t, noise))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        with torch.no_grad():
            for p_ema, p in zip(ema_model.parameters(), model.parameters()):
                p_ema.mul_(settings.ema).add_(p, alpha=1 - settings.ema)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"loss {value} at iteration {i}")
        losses.append(value)
    rate = (iterations - warmup) / (time.perf_counter() - start)
    cpu_rate = iterations / (time.process_time() - cpu_start)
    return rate, cpu_rate, ema_model.net.state_dict(), losses


def our_train(settings: TrainSettings, sde, iterations: int, device: torch.device, warmup: int):
    """activediff.training.train.train; the wall rate is read off its log (time after the first `warmup`
    steps), the CPU rate covers the whole call (set-up included, so it favours the baseline)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cpu_start = time.process_time()
        ema_model = train(settings, sde, data_fn, DATA, SEED, {iterations: tmp / "ckpt.pt"}, tmp / "log.csv",
                          tmp / "state", device=str(device.type), progress=False)
        cpu_rate = iterations / (time.process_time() - cpu_start)
        rows = np.loadtxt(tmp / "log.csv", delimiter=",", skiprows=1, ndmin=2)
    t_warm = rows[rows[:, 0] == warmup, 3][0]
    rate = (iterations - warmup) / (rows[-1, 3] - t_warm)
    return rate, cpu_rate, ema_model.net.state_dict(), rows


def ensemble_train(settings: TrainSettings, sde, iterations: int, device: torch.device, members: int,
                   stacking: str = "auto"):
    """activediff.training.ensemble.train_ensemble on seeds SEED, SEED + 1, ...: (model-iterations
    per CPU second over the whole call, member 0's EMA weights, member 0's log rows)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = [SEED + k for k in range(members)]
        cpu_start = time.process_time()
        emas = train_ensemble(settings, sde, data_fn, DATA, seeds, [{iterations: tmp / f"ckpt{k}.pt"} for k in seeds],
                              [tmp / f"log{k}.csv" for k in seeds], tmp / "state", device=str(device.type),
                              progress=False, stacking=stacking)
        cpu_rate = members * iterations / (time.process_time() - cpu_start)
        rows = np.loadtxt(tmp / f"log{SEED}.csv", delimiter=",", skiprows=1, ndmin=2)
    return cpu_rate, emas[0].net.state_dict(), rows


# The authors' loop: CPU patches of their files (exact text, each must occur) and the launcher that
# runs their main.py as __main__ with stand-ins for modules missing here.
AUTHORS_PATCHES = {
    "main.py": [("    torch.cuda.set_device(config.local_rank)\n", ""),
                ("backend='nccl'", "backend='gloo'")],
    "run_lib_toy.py": [("    config.device = torch.device('cuda:%d' % local_rank)\n",
                        "    config.device = torch.device('cpu')\n"),
                       ("DDP(score_model, device_ids=[local_rank])", "DDP(score_model)")],
}
AUTHORS_ARGS = ["-cc", "config_toy.txt", "--mode", "train", "--dataset", "diamond", "--sde", "active", "--tau", "0.25",
                "--weighting", "reweightedv2", "--snapshot_threshold", str(10**9)]
LAUNCHER = STAND_INS + textwrap.dedent('''
    print("stand-ins:", ",".join(STUBBED), file=sys.stderr)
    import runpy
    sys.argv = sys.argv[1:]
    sys.path[0] = "."
    runpy.run_path(sys.argv[0], run_name="__main__")
''')


class AuthorsLoop:
    """The authors' training loop in a patched copy of their checkout (outside this repository)."""

    def __init__(self, checkout: Path, port: int = 6123):
        self.root = Path(tempfile.mkdtemp(prefix="authors-loop-"))
        self.code = self.root / "code"
        shutil.copytree(checkout, self.code, ignore=shutil.ignore_patterns(".git"))
        for name, subs in AUTHORS_PATCHES.items():
            text = (self.code / name).read_text()
            for old, new in subs:
                if old not in text:
                    raise RuntimeError(f"{checkout / name}: expected text for the CPU patch not found: {old!r}")
                text = text.replace(old, new)
            (self.code / name).write_text(text)
        (self.root / "launch.py").write_text(LAUNCHER)
        self.port, self.runs, self.stand_ins = port, 0, None

    def cpu_seconds(self, iterations: int) -> float:
        """CPU seconds (user + system, the whole process tree) of one training run."""
        self.runs += 1
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        args = [sys.executable, str(self.root / "launch.py"), "main.py", *AUTHORS_ARGS, "--root", str(self.root / "runs"),
                "--workdir", f"run{self.runs}", "--n_train_iters", str(iterations), "--master_port", str(self.port)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(args, cwd=self.code, env=env, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        log = self.root / "runs" / f"run{self.runs}_seed_0" / "stdout.txt"
        done = log.is_file() and f"Finished after {iterations} iterations" in log.read_text()
        if proc.returncode or not done:  # their worker process can fail while main.py exits 0
            raise RuntimeError(f"authors' loop failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        self.stand_ins = next((line.split(":", 1)[1].strip().split(",") for line in proc.stderr.splitlines()
                               if line.startswith("stand-ins:")), [])
        shutil.rmtree(self.root / "runs" / f"run{self.runs}_seed_0", ignore_errors=True)
        return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    def rate(self, short: int, long: int) -> float:
        """Iterations per CPU second from two run lengths (start-up cancels). Their loop runs
        n_train_iters + 1 steps (`while step <= n`); the difference is long - short either way."""
        return (long - short) / (self.cpu_seconds(long) - self.cpu_seconds(short))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def gemm_floor_rate(settings: TrainSettings, sde, device: torch.device, repeats: int = 200,
                    activations: bool = False) -> float:
    """Iterations/s of a step that did nothing but its matrix products: per linear layer the
    forward product, the weight gradient and (after the first layer) the input gradient, at the
    training batch size and the network's own layer shapes. No trainer of the same float32 math
    on this device and thread count can beat it; it bounds any speed-up over the baseline.
    With `activations`, also the SiLU after every hidden layer, forward and backward."""
    net = build_score_model(settings, sde, (sde.n_channels, 2), SEED).net.to(device)
    if activations and not any(isinstance(m, torch.nn.SiLU) for m in net.modules()):
        raise ValueError("the activation floor assumes a SiLU network")
    shapes = [tuple(m.weight.shape) for m in net.modules() if isinstance(m, torch.nn.Linear)]
    gen = torch.Generator(device=device).manual_seed(0)
    rand = lambda *shape: torch.randn(shape, generator=gen, device=device)  # noqa: E731
    layers = [(rand(settings.batch_size, n_in), rand(n_out, n_in), rand(settings.batch_size, n_out))
              for n_out, n_in in shapes]

    def products():
        for k, (h, w, g) in enumerate(layers):
            out = torch.mm(h, w.t())
            if activations and k < len(layers) - 1:
                torch.nn.functional.silu(out)
                torch.ops.aten.silu_backward(g, out)
            torch.mm(g.t(), h)
            if k:
                torch.mm(g, w)

    # Per CPU second on the CPU, as every trainer's rate here (wall time would count the time a
    # shared machine gives to others); wall time on a GPU.
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    for _ in range(20):
        products()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = clock()
    for _ in range(repeats):
        products()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return repeats / (clock() - start)


def sampling_rate(model, sde, n_samples: int, n_steps: int, device: torch.device) -> float:
    """Samples/s of Euler-Maruyama with the learned score (float64 state, as the pipeline)."""
    gen = torch.Generator(device=device).manual_seed(0)
    shape = (n_samples, sde.n_channels, 2)
    u0 = sde.prior_sample(torch.randn(shape, generator=gen, device=device, dtype=torch.float64))
    noise = torch.randn((n_steps,) + shape, generator=gen, device=device, dtype=torch.float64)
    grid = time_grid(sde.t_max, 1e-3, n_steps)
    with torch.inference_mode():
        euler_maruyama(sde, model, u0[:64], noise[:, :64], grid)  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = euler_maruyama(sde, model, u0, noise, grid)
        if device.type == "cuda":
            torch.cuda.synchronize()
    assert torch.isfinite(out).all()
    return n_samples / (time.perf_counter() - start)


def device_info(device: torch.device, threads: int) -> dict:
    extra = {"gpu": torch.cuda.get_device_name(device)} if device.type == "cuda" else {}
    return machine_info(torch_threads=threads, torch=torch.__version__, numpy=np.__version__, device=str(device),
                        **extra)


def median_of(values):
    return statistics.median(values) if values else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--authors", default=None, help="checkout of alamda/active-noise-SGM (else: absent)")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=100, help="iterations excluded from the wall timing")
    parser.add_argument("--authors-iterations", type=int, nargs=2, default=(100, 500), metavar=("SHORT", "LONG"))
    parser.add_argument("--members", type=int, nargs="+", default=[3, 5, 10])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    sde = make_sde(SDE[0], **SDE[1])
    settings = TrainSettings(checkpoints=(args.iterations,), log_every=args.warmup)
    info = device_info(device, args.threads)
    authors = AuthorsLoop(Path(args.authors)) if args.authors else None

    cpu = {name: [] for name in ["authors", "baseline", "ours"] + [f"ensemble_{m}" for m in args.members]
           + ["ensemble_5_vmap"]}
    baseline, ours, agree = [], [], []
    ensemble_train(TrainSettings(checkpoints=(20,), log_every=20), sde, 20, device, 2)  # first-call imports: untimed
    try:
        for rep in range(args.repeats):
            if authors is not None:
                cpu["authors"].append(authors.rate(*args.authors_iterations))
            rate_b, cpu_b, ema_b, losses_b = baseline_train(settings, sde, args.iterations, device, args.warmup)
            rate_o, cpu_o, ema_o, rows_o = our_train(settings, sde, args.iterations, device, args.warmup)
            baseline.append(rate_b)
            ours.append(rate_o)
            cpu["baseline"].append(cpu_b)
            cpu["ours"].append(cpu_o)
            scale = max(float(v.abs().max()) for v in ema_b.values())
            diff = max(float((ema_b[k].cpu() - ema_o[k].cpu()).abs().max()) for k in ema_b)
            row = {"max_abs_weight_diff": diff, "max_abs_weight": scale,
                   "last_window_loss_baseline": float(np.mean(losses_b[-args.warmup:])),
                   "last_window_loss_ours": float(rows_o[-1, 1])}
            for m in args.members:
                cpu_e, ema_e, rows_e = ensemble_train(settings, sde, args.iterations, device, m)
                cpu[f"ensemble_{m}"].append(cpu_e)
                row[f"ensemble_{m}_member0_max_abs_weight_diff"] = max(
                    float((ema_e[k].cpu() - ema_o[k].cpu()).abs().max()) for k in ema_o)
                row[f"ensemble_{m}_member0_max_rel_loss_diff"] = float(np.abs(rows_e[:, 1] / rows_o[:, 1] - 1).max())
            cpu["ensemble_5_vmap"].append(ensemble_train(settings, sde, args.iterations, device, 5, "vmap")[0])
            agree.append(row)
            print(f"repeat {rep}: per CPU second " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in cpu.items() if v),
                  file=sys.stderr)
    finally:
        stand_ins = authors.stand_ins if authors else None
        if authors is not None:
            authors.close()

    floor = statistics.median(gemm_floor_rate(settings, sde, device) for _ in range(args.repeats))
    act_floor = statistics.median(gemm_floor_rate(settings, sde, device, activations=True)
                                  for _ in range(args.repeats))
    model = build_score_model(settings, sde, (sde.n_channels, 2), SEED)
    model.net.load_state_dict(ema_o)
    model = model.to(device).eval().requires_grad_(False)
    n_samples = args.samples
    samples = [sampling_rate(model, sde, n_samples, args.steps, device) for _ in range(3)]

    medians = {name: median_of(values) for name, values in cpu.items()}
    ref = medians["authors"]
    ratios = {name: (value / ref if ref and value else None) for name, value in medians.items() if name != "authors"}
    target = ratios.get("ensemble_5")
    result = {
        "notes": ("Measured on a machine shared with other jobs (load averages recorded): wall-clock "
                  "rates are noisy; the per-CPU-second rates (process time, one torch thread) are the "
                  "steadier comparison. Medians over the repeats; all variants interleaved in every "
                  "repeat. Ensemble rates are model-iterations (members x iterations) per CPU second."),
        "machine": info,
        "setup": {"sde": SDE, "data": DATA, "batch_size": settings.batch_size, "net": "mlp 4x128 SiLU",
                  "iterations": args.iterations, "timed_after": args.warmup, "repeats": args.repeats,
                  "ensemble_members": args.members, "ensemble_stacking": "auto (bmm); ensemble_5_vmap: vmap"},
        "authors_loop": ({"status": "absent", "notes": "no --authors checkout given"} if authors is None else {
            "status": "measured", "checkout": str(Path(args.authors).resolve()),
            "command": ["main.py", *AUTHORS_ARGS, "--n_train_iters", "N"],
            "iterations": list(args.authors_iterations), "timing": "difference of the two run lengths' CPU time",
            "patches": {name: [f"{old.strip()} -> {new.strip() or '(removed)'}" for old, new in subs]
                        for name, subs in AUTHORS_PATCHES.items()},
            "stand_ins": stand_ins}),
        "training_it_per_s": {"baseline": baseline, "ours": ours,
                              "baseline_median": statistics.median(baseline), "ours_median": statistics.median(ours),
                              "speedup_median": statistics.median(o / b for o, b in zip(ours, baseline))},
        "training_it_per_cpu_s": dict(
            {name: values for name, values in cpu.items()},
            **{f"{name}_median": value for name, value in medians.items()},
            speedup_median=statistics.median(o / b for o, b in zip(cpu["ours"], cpu["baseline"])),
            ratio_to_authors=ratios),
        "target": {"ensemble_5_over_authors": target, "required": 3.0,
                   "met": None if target is None else bool(target >= 3.0)},
        "gemm_floor": {
            "it_per_s": floor,   # per CPU second on the CPU
            "max_speedup_over_baseline": floor / statistics.median(baseline),
            "max_ratio_to_authors": floor / ref if ref else None,
            "notes": ("Iterations/s of the step's matrix products alone (forward, weight and input "
                      "gradients at batch size and layer shapes; nothing else): an upper bound for any "
                      "trainer of the same float32 math here, ensembles included (per model-iteration)."),
        },
        "activation_floor": {
            "it_per_s": act_floor,
            "max_ratio_to_authors": act_floor / ref if ref else None,
            "notes": ("The matrix products plus torch's SiLU forward and backward after every hidden "
                      "layer: what any trainer of this network computes besides its optimiser, EMA, "
                      "loss and batch (per model-iteration)."),
        },
        "results_agree": agree,
        "sampling": {"sampler": "euler_maruyama", "steps": args.steps, "samples": n_samples,
                     "samples_per_s": samples, "samples_per_s_median": statistics.median(samples)},
    }
    result["machine"]["load_average_at_end"] = load_average()
    out = Path(args.out or Path(__file__).parent / "results" / f"train_mlp_{device.type}.json")
    write_json(out, result)
    print("per CPU second: " + ", ".join(f"{k} {v:.1f}" for k, v in medians.items() if v)
          + (f"; ensemble_5 / authors {target:.2f}x" if target else "") + f"; wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
