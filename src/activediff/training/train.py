"""Training loop: Adam, gradient clipping, EMA, checkpoints at listed iterations, resume, devices.

Every iteration i (1-based) draws fresh data and noise from its own seeds (derive_seed(seed,
"train-data", i) and "train-noise"), so a resumed run needs no data-stream state and continues
with exactly the batches an uninterrupted run would see: on CPU it ends with the same bytes.

Speed (benchmarks/train_mlp.py measures it against a plain eager loop of the same math):
- the data side (sampling, kernel, perturbation; float64) is prepared on the host for a chunk of
  iterations at once, vectorised, and moved to the device in one copy;
- the optimiser is fused Adam, gradient clipping and the EMA are multi-tensor (foreach) updates;
- losses stay on the device until the chunk ends (one host sync per chunk, no .item() per step);
- on CUDA the whole step (forward, backward, clip, Adam, EMA) is one captured CUDA graph.
Chunks are cut at the same global iterations in every run (checkpoints, log and resume points,
multiples of CHUNK), so resuming never changes how the host math is batched.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sized

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from activediff.devices import resolve_device
from activediff.diffusion.score_model import ScoreModel
from activediff.diffusion.sde import LinearSDE
from activediff.io import write_csv
from activediff.seeding import derive_seed
from activediff.training.checkpoints import (
    TrainingDiverged,
    checkpoint_payload,
    load_training_state,
    remove_resume_state,
    restore_outputs,
    save_checkpoint,
    spec_fingerprint,
)
from activediff.training.losses import WEIGHTINGS, Batch, ScoreMatchingLoss, batch_loss, sample_times
from activediff.training.nets import build_net

DataFn = Callable[[int, int], np.ndarray]  # (n, seed) -> (n, *coords) float64
CHUNK = 100  # most iterations prepared on the host at once


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of one training run (config section `training`, docs/theory.md 2.6)."""

    checkpoints: tuple[int, ...]
    batch_size: int = 512
    lr: float = 1e-3
    warmup: int = 0  # iterations of linear learning-rate warm-up
    grad_clip: float = 1.0
    ema: float = 0.999
    ema_warmup: bool = False  # score_sde's EMA: decay min(ema, (1 + i) / (10 + i)) at update i
    weighting: str = "reweightedv2"
    mixed_score: bool = False
    loss_eps: float = 1e-5
    numerical_eps: float = 1e-6
    net: str = "mlp"
    net_params: Mapping = field(default_factory=lambda: {"width": 128, "depth": 4})
    log_every: int = 100
    resume_every: int = 1000
    cuda_graph: bool = True  # capture the step as a CUDA graph on CUDA devices (same math as eager)

    def __post_init__(self):
        cps = tuple(sorted({int(c) for c in self.checkpoints}))
        object.__setattr__(self, "checkpoints", cps)
        object.__setattr__(self, "net_params", dict(self.net_params))
        if not cps or cps[0] < 1:
            raise ValueError(f"training.checkpoints must be a non-empty list of iterations >= 1, got {self.checkpoints}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"training.weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        for key in ("batch_size", "log_every", "resume_every"):
            if getattr(self, key) < 1:
                raise ValueError(f"training.{key} must be >= 1, got {getattr(self, key)}")
        if not (self.lr > 0 and self.grad_clip > 0 and 0 <= self.ema < 1 and self.warmup >= 0):
            raise ValueError("training: need lr > 0, grad_clip > 0, 0 <= ema < 1, warmup >= 0")

    @property
    def iterations(self) -> int:
        return self.checkpoints[-1]

    @classmethod
    def from_config(cls, section: Mapping) -> "TrainSettings":
        """From the config's `training` section (unknown keys such as `seeds` are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in section.items() if k in names})

    def result_spec(self) -> dict:
        """Everything that changes the trained weights (not the checkpoint list, the resume
        cadence or how the same step is executed)."""
        spec = dataclasses.asdict(self)
        for key in ("checkpoints", "resume_every", "cuda_graph"):
            spec.pop(key)
        return spec


def build_score_model(settings: TrainSettings, sde: LinearSDE, state_shape: tuple[int, ...], seed: int) -> ScoreModel:
    """The network (initialised from the run's seed, on CPU, so every device starts alike) in its
    score parameterisation."""
    torch.manual_seed(derive_seed(seed, "train-init"))
    net = build_net(settings.net, state_shape, **settings.net_params)
    return ScoreModel(net, sde, settings.mixed_score, settings.numerical_eps)


def learning_rate(settings: TrainSettings, iteration: int) -> float:
    if settings.warmup and iteration <= settings.warmup:
        return settings.lr * iteration / settings.warmup
    return settings.lr


def ema_decay(settings: TrainSettings, iteration: int) -> float:
    """EMA decay used at an iteration (1-based): fixed, or with score_sde's warm-up."""
    if settings.ema_warmup:
        return min(settings.ema, (1.0 + iteration) / (10.0 + iteration))
    return settings.ema


def chunk_bounds(settings: TrainSettings) -> list[int]:
    """Global chunk boundaries: checkpoints, log and resume points and multiples of CHUNK."""
    n = settings.iterations
    cuts = set(settings.checkpoints) | {n}
    for every in (settings.log_every, settings.resume_every, CHUNK):
        cuts |= set(range(every, n + 1, every))
    return sorted(cuts)


class HostBatches:
    """Perturbed training batches of chosen iterations, prepared in float64 on the host."""

    def __init__(self, loss: ScoreMatchingLoss, model: ScoreModel, data_fn: DataFn, seed: int,
                 batch_size: int, device: torch.device):
        self.loss, self.model, self.data_fn, self.seed = loss, model, data_fn, seed
        self.batch_size, self.device = batch_size, device

    def draw(self, iteration: int):
        """(x0, t, noise) of one iteration, from that iteration's own seeds."""
        x0 = np.asarray(self.data_fn(self.batch_size, derive_seed(self.seed, "train-data", iteration)), np.float64)
        rng = np.random.default_rng(derive_seed(self.seed, "train-noise", iteration))
        t = sample_times(rng, self.batch_size, self.loss.loss_eps, self.model.sde.t_max)
        noise = rng.standard_normal((self.batch_size, self.model.sde.n_channels) + x0.shape[1:])
        return x0, t, noise

    def chunk(self, iterations: range) -> Batch:
        """Device batch for several iterations, each field shaped (len(iterations), batch, ...).
        The kernel math runs vectorised over the whole chunk in float64: in numpy on CPU, on the
        GPU for CUDA runs (where the host would otherwise be the bottleneck)."""
        draws = [self.draw(i) for i in iterations]
        k = len(draws)
        raw = [np.concatenate(parts) for parts in zip(*draws)]  # x0, t, noise
        if self.device.type == "cuda":
            raw = [torch.from_numpy(a).pin_memory().to(self.device, non_blocking=True) for a in raw]
        batch = self.loss.batch(self.model, *raw)
        shaped = (a.reshape((k, self.batch_size) + tuple(a.shape[1:])) for a in batch)
        if self.device.type == "cuda":
            return Batch(*(a.to(torch.float32).contiguous() for a in shaped))
        return Batch(*(torch.from_numpy(np.ascontiguousarray(a, np.float32)) for a in shaped))


def make_optimizer(params, settings: TrainSettings, graphed: bool, device: torch.device) -> torch.optim.Adam:
    """Fused Adam; a device-tensor learning rate where a captured CUDA graph must read its warm-up."""
    lr = torch.tensor(settings.lr, device=device) if graphed and settings.warmup else settings.lr
    return torch.optim.Adam(params, lr=lr, fused=True, capturable=graphed)


def run_spec(settings: TrainSettings, sde: LinearSDE, data_spec: Mapping, seed: int,
             state_shape: tuple[int, ...]) -> tuple[dict, str]:
    """The spec a checkpoint stores (plain JSON types) and its fingerprint."""
    spec = json.loads(json.dumps({
        "settings": settings.result_spec(), "sde": {"name": sde.name, "params": dict(sde.params)},
        "data": dict(data_spec), "seed": int(seed), "state_shape": list(state_shape)}))
    return spec, spec_fingerprint(spec)


def state_shape_of(sde: LinearSDE, data_fn: DataFn) -> tuple[int, ...]:
    """(n_channels, *coords) of the states a data set's points become."""
    return (sde.n_channels,) + tuple(np.asarray(data_fn(1, 0)).shape[1:])


def note_small_data(batch_size: int, data_fn: DataFn) -> None:
    """Say once (stderr: the rule's log) when a batch is larger than a finite data set (one with
    len()): batches are drawn with replacement, so each one repeats points; allowed, since the
    noise and time draws still differ, but rarely what was meant."""
    if isinstance(data_fn, Sized) and batch_size > len(data_fn):
        print(f"note: batch_size {batch_size} exceeds the {len(data_fn)} training points of {data_fn}; "
              "every batch repeats points (drawn with replacement)", file=sys.stderr)


def chunk_ranges(settings: TrainSettings, start: int) -> list[range]:
    """The iterations still to run after `start`, cut at the global chunk boundaries."""
    bounds = [b for b in chunk_bounds(settings) if b > start]
    return [range(lo + 1, hi + 1) for lo, hi in zip([start] + bounds[:-1], bounds)]


def run_chunks(settings: TrainSettings, stepper: "Stepper", prepare: Callable[[range], Batch], start: int,
               logs: list[list], windows: list[list], elapsed: float, snapshot: Callable[[int, float], None],
               diverged: Callable[[int, int, float], Exception], bar) -> float:
    """The training loop from iteration `start` to the end, for one model or several trained as one
    (a step's loss is a scalar or one value per member m; logs[m] and windows[m] are their log rows
    and the losses since the last row). snapshot(iteration, elapsed) writes checkpoints and resume
    state; diverged(member, iteration, loss) is the exception a non-finite loss raises. Returns the
    elapsed seconds."""
    ranges = chunk_ranges(settings, start)
    clock = time.perf_counter()
    upcoming = prepare(ranges[0]) if ranges else None
    for index, its in enumerate(ranges):
        chunk, losses = upcoming, []
        for k, i in enumerate(its):
            if settings.warmup and i <= settings.warmup + 1:
                stepper.set_lr(learning_rate(settings, i))
            if settings.ema_warmup:
                stepper.set_ema_decay(ema_decay(settings, i))
            losses.append(stepper(Batch(*(a[k] for a in chunk))))
        # Prepare the next chunk while an asynchronous device still works on this one.
        upcoming = prepare(ranges[index + 1]) if index + 1 < len(ranges) else None
        values = torch.stack(losses).double().cpu().numpy().reshape(len(its), -1)  # the chunk's one host sync
        bad = ~np.isfinite(values)
        if bad.any():
            row, member = np.argwhere(bad)[0]
            raise diverged(int(member), its[row], values[row, member])
        elapsed += time.perf_counter() - clock
        clock = time.perf_counter()
        hi = its[-1]
        for member, window in enumerate(windows):
            window.extend(values[:, member].tolist())
        bar.update(len(its))
        if hi % settings.log_every == 0 or hi == settings.iterations:
            for member, rows in enumerate(logs):
                rows.append((hi, float(np.mean(windows[member])), learning_rate(settings, hi), round(elapsed, 3)))
                windows[member] = []
            bar.set_postfix(loss=f"{logs[0][-1][1]:.4g}")
        if hi in settings.checkpoints or hi % settings.resume_every == 0:
            snapshot(hi, elapsed)
    bar.close()
    return elapsed


def progress_bar(settings: TrainSettings, start: int, desc: str, progress: bool):
    return tqdm(total=settings.iterations, initial=start, file=sys.stderr, disable=not progress, desc=desc,
                unit="it", mininterval=5.0)


class Stepper:
    """One optimisation step: forward, backward, clip, fused Adam, EMA. Eager on CPU; on CUDA the
    step is captured once as a CUDA graph and replayed on static input buffers."""

    def __init__(self, model: ScoreModel, ema_model: ScoreModel, loss: ScoreMatchingLoss,
                 settings: TrainSettings, device: torch.device):
        self.model, self.loss, self.settings = model, loss, settings
        self.params = [p for p in model.parameters()]
        self.ema_params = [p for p in ema_model.parameters()]
        self.graphed = device.type == "cuda" and settings.cuda_graph
        self.optimizer = make_optimizer(self.params, settings, self.graphed, device)
        self.graph = None
        # EMA weight 1 - decay: a fixed number, or (warm-up) a device tensor refilled before each
        # step, so that a captured CUDA graph reads the current value.
        self.ema_weight = (torch.tensor(1.0 - settings.ema, device=device) if settings.ema_warmup
                           else 1.0 - settings.ema)

    def objective(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(what backward() starts from, the loss that is logged): one scalar here."""
        loss = batch_loss(self.loss.per_element(self.model, batch))
        return loss, loss

    def clip(self) -> None:
        torch.nn.utils.clip_grad_norm_(self.params, self.settings.grad_clip, foreach=True)

    def _eager(self, batch: Batch) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        total, loss = self.objective(batch)
        total.backward()
        self.clip()
        self.optimizer.step()
        with torch.no_grad():  # else autograd records every update: the EMA weights grow a graph
            torch._foreach_lerp_(self.ema_params, self.params, self.ema_weight)
        return loss.detach()

    def set_ema_decay(self, value: float) -> None:
        self.ema_weight.fill_(1.0 - value)

    def set_lr(self, value: float) -> None:
        for group in self.optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value

    def _capture(self, batch: Batch) -> None:
        """Warm up on a side stream (as torch.cuda.graphs requires), put every weight and moment
        back as it was, then record the step."""
        saved = [t.detach().clone() for t in self._state_tensors()]
        had_state = bool(self.optimizer.state)
        self.static = Batch(*(a.clone() for a in batch))
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                self._eager(self.static)
        torch.cuda.current_stream().wait_stream(stream)
        with torch.no_grad():
            state = self._state_tensors()
            if not had_state:  # fresh Adam: moments and step counts start at zero
                for moment in self._optimizer_tensors():
                    moment.zero_()
                state = state[: len(saved)]
            for tensor, value in zip(state, saved):
                tensor.copy_(value)
        self.optimizer.zero_grad(set_to_none=True)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.static_loss = self._eager(self.static)

    def _optimizer_tensors(self) -> list[torch.Tensor]:
        return [v for s in self.optimizer.state.values() for v in s.values() if isinstance(v, torch.Tensor)]

    def _state_tensors(self) -> list[torch.Tensor]:
        return [p.data for p in self.params] + [p.data for p in self.ema_params] + self._optimizer_tensors()

    def __call__(self, batch: Batch) -> torch.Tensor:
        if not self.graphed:
            return self._eager(batch)
        if self.graph is None:
            self._capture(batch)
        for static, value in zip(self.static, batch):
            static.copy_(value)
        self.graph.replay()
        return self.static_loss.clone()


def train(settings: TrainSettings, sde: LinearSDE, data_fn: DataFn, data_spec: Mapping, seed: int,
          checkpoint_paths: Mapping[int, str | Path], log_path: str | Path, state_dir: str | Path,
          device: str = "auto", threads: int | None = None, progress: bool = True) -> ScoreModel:
    """Train one model; write a checkpoint at every listed iteration and the CSV training log.

    checkpoint_paths maps each iteration of settings.checkpoints to its output file. state_dir
    holds what a killed run resumes from (the latest state and copies of the checkpoints already
    written, since a workflow manager deletes a failed job's outputs); it is removed at the end.
    data_fn(n, seed) draws n data points; data_spec describes it (it enters the run's fingerprint,
    which a resume state must match). Returns the EMA model.
    """
    if threads:
        torch.set_num_threads(int(threads))
    dev = resolve_device(device)
    if sorted(int(i) for i in checkpoint_paths) != list(settings.checkpoints):
        raise ValueError(f"checkpoint_paths must name exactly the iterations {settings.checkpoints}")
    paths = {int(i): Path(p) for i, p in checkpoint_paths.items()}
    state_dir = Path(state_dir)
    state_shape = state_shape_of(sde, data_fn)
    note_small_data(settings.batch_size, data_fn)

    model = build_score_model(settings, sde, state_shape, seed)
    spec, fingerprint = run_spec(settings, sde, data_spec, seed, state_shape)
    loss = ScoreMatchingLoss(settings.weighting, settings.loss_eps)
    host = HostBatches(loss, model, data_fn, seed, settings.batch_size, dev)
    model.to(dev)
    ema_model = copy.deepcopy(model).requires_grad_(False)
    stepper = Stepper(model, ema_model, loss, settings, dev)

    start, log_rows, window, elapsed = 0, [], [], 0.0
    resumed = load_training_state(state_dir, spec, fingerprint, model, ema_model, stepper.optimizer)
    if resumed is not None:
        start, log_rows, window, elapsed = resumed
        restore_outputs(state_dir, paths, start)
        print(f"resuming from {state_dir / 'last.pt'} at iteration {start}", file=sys.stderr)
    logs, windows = [log_rows], [window]

    def snapshot(iteration: int, elapsed: float) -> None:
        payload = checkpoint_payload(spec, fingerprint, iteration, model, ema_model, stepper.optimizer)
        if iteration in paths:
            save_checkpoint(payload, state_dir / f"ckpt_{iteration}.pt")
            save_checkpoint(payload, paths[iteration])
        resume = dict(payload, log=[list(r) for r in log_rows], window=list(windows[0]), elapsed=elapsed)
        save_checkpoint(resume, state_dir / "last.pt")
        write_log(log_rows, log_path)

    def diverged(member: int, iteration: int, value: float) -> Exception:
        return TrainingDiverged(f"training {sde.name} on {data_spec}: loss {value} at iteration {iteration}; "
                                "stopped without writing further checkpoints")

    run_chunks(settings, stepper, host.chunk, start, logs, windows, elapsed, snapshot, diverged,
               progress_bar(settings, start, f"train {sde.name}", progress))
    write_log(log_rows, log_path)
    remove_resume_state(state_dir, settings.checkpoints)
    return ema_model


def write_log(rows, path: str | Path) -> None:
    write_csv(path, pd.DataFrame(rows, columns=["iteration", "loss", "lr", "time_s"]))
