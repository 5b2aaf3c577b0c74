"""Ensemble trainer: every seed of one (dataset, process) trained as one batched network.

Member k of an ensemble is the single-model run of seeds[k] (training/train.py), step for step:
the same initial weights (build_score_model with that seed), the same host batches (its own
HostBatches, so derive_seed(seed, "train-data" / "train-noise", i)), the same loss, chunking,
learning-rate and EMA schedules (run_chunks), its own Adam moments and its own gradient clipping
(each member's global gradient norm). Only the matrix products are batched over a leading member
dimension, so a member agrees with its single-model run to float32 round-off, not bit for bit.

Two ways to batch a network (`stacking`):
- "bmm": every nn.Linear of the network becomes a StackedLinear holding (M, out, in) weights and
  running one batched product (torch.baddbmm) for all members; only for networks whose
  parameters all sit in nn.Linear layers applied to (batch, features) rows (the MLP);
- "vmap": torch.func.functional_call + vmap over stacked parameters, for networks whose ops vmap
  supports (the MLP; not the U-Net, whose channels-last layout query vmap does not implement);
- "loop": functional_call of each member's slice of the stacked parameters in turn: any network;
  the products are not batched, only the optimiser, clipping, EMA and the host side are.
"auto" takes "bmm" where it applies (for the MLP on one CPU thread it measures at least as fast
as "vmap": benchmarks/train_mlp.py records both), "loop" otherwise.

Outputs are the single trainer's: per member, checkpoints of the same format at their own paths
(loadable by load_score_model) and a train_log.csv. The resume state is one file for the whole
bundle, state_dir/last.pt (every member's single-model resume state at one iteration, written
atomically), with copies of the checkpoints already written in state_dir/member{k}/; a killed
ensemble resumes from it with the same bytes as an uninterrupted ensemble run.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Mapping, Sequence

import torch
from torch import nn
from torch.func import functional_call, vmap

from activediff.devices import resolve_device
from activediff.diffusion.score_model import ScoreModel
from activediff.diffusion.sde import LinearSDE
from activediff.io import InputError
from activediff.training.checkpoints import (
    FORMAT,
    TrainingDiverged,
    apply_training_state,
    checkpoint_payload,
    read_resume_state,
    remove_resume_state,
    restore_outputs,
    save_checkpoint,
)
from activediff.training.losses import Batch, ScoreMatchingLoss, batch_loss
from activediff.training.train import (
    DataFn,
    HostBatches,
    Stepper,
    TrainSettings,
    build_score_model,
    learning_rate,
    make_optimizer,
    note_small_data,
    progress_bar,
    run_chunks,
    run_spec,
    state_shape_of,
    write_log,
)

STACKINGS = ("auto", "bmm", "vmap", "loop")


class StackedLinear(nn.Module):
    """M linear layers as one: weight (M, out, in), bias (M, out). Input rows are member-major,
    (M * B, in) with member m's batch in rows m B ... (m + 1) B - 1."""

    def __init__(self, layers: Sequence[nn.Linear]):
        super().__init__()
        self.members = len(layers)
        self.weight = nn.Parameter(torch.stack([layer.weight.detach() for layer in layers]))
        self.bias = (nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]))
                     if layers[0].bias is not None else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(self.members, -1, x.shape[-1])
        w = self.weight.transpose(1, 2)
        out = torch.bmm(h, w) if self.bias is None else torch.baddbmm(self.bias.unsqueeze(1), h, w)
        return out.reshape(-1, out.shape[-1])


def linear_only(net: nn.Module) -> bool:
    """Whether every parameter of a network sits in an nn.Linear and it has no buffers (then
    replacing its layers by StackedLinear batches it, provided it applies them row-wise)."""
    holders = [m for m in net.modules() if any(True for _ in m.parameters(recurse=False))]
    return not any(True for _ in net.buffers()) and all(isinstance(m, nn.Linear) for m in holders)


def stack_linear(nets: Sequence[nn.Module]) -> nn.Module:
    """A copy of nets[0] whose nn.Linear layers are StackedLinear over all nets; its state dict
    has the members' keys, each with a leading member dimension."""
    stacked = copy.deepcopy(nets[0])
    for name, module in list(stacked.named_modules()):
        if isinstance(module, nn.Linear):
            parent, _, attr = name.rpartition(".")
            setattr(stacked.get_submodule(parent) if parent else stacked, attr,
                    StackedLinear([net.get_submodule(name) for net in nets]))
    return stacked


class VmappedNet(nn.Module):
    """A network over M stacked parameter sets: functional_call of one copy, vmapped over the
    member dimension (vectorize=True) or called on each member's slice in turn. Inputs and outputs
    are member-major (M * B, ...) as for StackedLinear."""

    def __init__(self, nets: Sequence[nn.Module], vectorize: bool = True):
        super().__init__()
        self.members, self.vectorize = len(nets), vectorize
        self.param_names = [name for name, _ in nets[0].named_parameters()]
        self.buffer_names = [name for name, _ in nets[0].named_buffers()]
        members = [dict(net.named_parameters()) for net in nets]
        self.stacked = nn.ParameterList([torch.stack([m[name].detach() for m in members])
                                         for name in self.param_names])
        members = [dict(net.named_buffers()) for net in nets]
        for i, name in enumerate(self.buffer_names):
            self.register_buffer(f"buffer{i}", torch.stack([m[name] for m in members]))
        self._base = [copy.deepcopy(nets[0]).to("meta")]  # a list: not a registered submodule

    def _buffers_stacked(self) -> tuple:
        return tuple(getattr(self, f"buffer{i}") for i in range(len(self.buffer_names)))

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        base = self._base[0]

        def one(params, buffers, u1, t1):
            state = dict(zip(self.param_names, params)) | dict(zip(self.buffer_names, buffers))
            return functional_call(base, state, (u1, t1))

        params, buffers = tuple(self.stacked), self._buffers_stacked()
        u, t = u.unflatten(0, (self.members, -1)), t.unflatten(0, (self.members, -1))
        if self.vectorize:
            return vmap(one)(params, buffers, u, t).flatten(0, 1)
        return torch.cat([one([p[k] for p in params], [b[k] for b in buffers], u[k], t[k])
                          for k in range(self.members)])

    def member_state(self, k: int) -> dict:
        return ({name: p[k] for name, p in zip(self.param_names, self.stacked)}
                | {name: b[k] for name, b in zip(self.buffer_names, self._buffers_stacked())})


def stack_nets(nets: Sequence[nn.Module], stacking: str = "auto") -> nn.Module:
    if stacking not in STACKINGS:
        raise ValueError(f"stacking must be one of {STACKINGS}, got {stacking!r}")
    if stacking == "bmm" and not linear_only(nets[0]):
        raise ValueError(f"stacking 'bmm' needs a network of nn.Linear layers only, not {type(nets[0]).__name__}")
    if stacking == "bmm" or (stacking == "auto" and linear_only(nets[0])):
        return stack_linear(nets)
    return VmappedNet(nets, vectorize=stacking == "vmap")


def member_state(net: nn.Module, k: int) -> dict:
    """Member k's state dict (the single network's keys) of a stacked network."""
    if isinstance(net, VmappedNet):
        return net.member_state(k)
    return {key: value[k] for key, value in net.state_dict().items()}


class EnsembleStepper(Stepper):
    """Stepper of a stacked model: the members' losses are summed for backward (member k's
    gradient is that of its own loss) and each member's gradient is clipped to its own norm."""

    def __init__(self, model: ScoreModel, ema_model: ScoreModel, loss: ScoreMatchingLoss,
                 settings: TrainSettings, device: torch.device, members: int):
        self.members = members
        super().__init__(model, ema_model, loss, settings, device)

    def objective(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        per_element = self.loss.per_element(self.model, batch)
        losses = vmap(batch_loss)(per_element.unflatten(0, (self.members, -1)))
        return losses.sum(), losses

    def clip(self) -> None:
        """clip_grad_norm_ per member: norm over all of that member's gradients, coefficient
        max_norm / (norm + 1e-6) clamped at 1."""
        grads = [p.grad for p in self.params]
        norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads])
        coef = torch.clamp(self.settings.grad_clip / (torch.linalg.vector_norm(norms, dim=0) + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.reshape((-1,) + (1,) * (g.ndim - 1)))


def _per_member(value, n: int, what: str) -> list:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise ValueError(f"{what}: {len(values)} given for {n} seeds")
    return values


def stack_optimizer_state(target: torch.optim.Optimizer, sources: Sequence[torch.optim.Optimizer]) -> None:
    """Set the stacked optimiser's state from the members' (parameters in the same order)."""
    members = [src.param_groups[0]["params"] for src in sources]
    for j, p in enumerate(target.param_groups[0]["params"]):
        states = [src.state[params[j]] for src, params in zip(sources, members)]
        target.state[p] = {key: (torch.stack([s[key] for s in states]) if value.ndim else value.clone()).to(p.device)
                           for key, value in states[0].items()}


def unstack_optimizer_state(source: torch.optim.Optimizer, targets: Sequence[torch.optim.Optimizer], lr: float) -> None:
    """Set each member optimiser's state (and learning rate) from the stacked optimiser's."""
    for k, target in enumerate(targets):
        for p_stacked, p in zip(source.param_groups[0]["params"], target.param_groups[0]["params"]):
            target.state[p] = {key: (value[k] if value.ndim else value).detach().clone()
                               for key, value in source.state[p_stacked].items()}
        target.param_groups[0]["lr"] = lr


def train_ensemble(settings: TrainSettings, sde: LinearSDE, data_fn: DataFn | Sequence[DataFn],
                   data_spec: Mapping | Sequence[Mapping], seeds: Sequence[int],
                   checkpoint_paths: Sequence[Mapping[int, str | Path]], log_paths: Sequence[str | Path],
                   state_dir: str | Path, device: str = "auto", threads: int | None = None, progress: bool = True,
                   stacking: str = "auto") -> list[ScoreModel]:
    """Train one model per seed as one batched network; member k writes what
    train(settings, sde, data_fn[k], data_spec[k], seeds[k], checkpoint_paths[k], log_paths[k], ...)
    writes (up to float32 round-off). data_fn and data_spec are one for all seeds or one per seed.
    state_dir holds the bundle's resume state; it is removed at the end. Returns the EMA models
    (on CPU)."""
    if threads:
        torch.set_num_threads(int(threads))
    dev = resolve_device(device)
    seeds = [int(s) for s in seeds]
    n = len(seeds)
    if not n:
        raise ValueError("train_ensemble needs at least one seed")
    data_fns, data_specs = _per_member(data_fn, n, "data_fn"), _per_member(data_spec, n, "data_spec")
    if len(checkpoint_paths) != n or len(log_paths) != n:
        raise ValueError(f"need one checkpoint map and one log path per seed ({n} seeds)")
    paths = []
    for member in checkpoint_paths:
        if sorted(int(i) for i in member) != list(settings.checkpoints):
            raise ValueError(f"checkpoint_paths must name exactly the iterations {settings.checkpoints}")
        paths.append({int(i): Path(p) for i, p in member.items()})
    state_dir = Path(state_dir)
    member_dirs = [state_dir / f"member{k}" for k in range(n)]
    state_shape = state_shape_of(sde, data_fns[0])
    note_small_data(settings.batch_size, data_fns[0])

    graphed = dev.type == "cuda" and settings.cuda_graph
    models = [build_score_model(settings, sde, state_shape, seed) for seed in seeds]  # on CPU: checkpoint side
    emas = [copy.deepcopy(m).requires_grad_(False) for m in models]
    optimizers = [make_optimizer(list(m.parameters()), settings, graphed, torch.device("cpu")) for m in models]
    specs = [run_spec(settings, sde, spec, seed, state_shape) for spec, seed in zip(data_specs, seeds)]
    loss = ScoreMatchingLoss(settings.weighting, settings.loss_eps)
    hosts = [HostBatches(loss, m, fn, seed, settings.batch_size, dev) for m, fn, seed in zip(models, data_fns, seeds)]

    start, logs, windows, elapsed = 0, [[] for _ in seeds], [[] for _ in seeds], 0.0
    bundle = state_dir / "last.pt"
    state = read_resume_state(bundle)
    if state is not None:
        saved = state.get("members")
        if not isinstance(saved, list) or len(saved) != n:
            found = len(saved) if isinstance(saved, list) else "no"
            raise InputError(f"{bundle}: resume state of a different ensemble ({found} members, this run has {n}); "
                             f"delete {state_dir} to start this run from scratch")
        for k in range(n):
            start, logs[k], windows[k], elapsed = apply_training_state(saved[k], bundle, *specs[k], models[k], emas[k],
                                                                       optimizers[k])
            logs[k] = list(logs[k])
            restore_outputs(member_dirs[k], paths[k], start)
        print(f"resuming from {bundle} at iteration {start}", file=sys.stderr)

    model = ScoreModel(stack_nets([m.net for m in models], stacking), sde, settings.mixed_score,
                       settings.numerical_eps).to(dev)
    ema_model = ScoreModel(stack_nets([m.net for m in emas], stacking), sde, settings.mixed_score,
                           settings.numerical_eps).to(dev).requires_grad_(False)
    stepper = EnsembleStepper(model, ema_model, loss, settings, dev, n)
    if start:
        stack_optimizer_state(stepper.optimizer, optimizers)

    def sync_members(iteration: int) -> None:
        with torch.no_grad():
            for k in range(n):
                models[k].net.load_state_dict(member_state(model.net, k))
                emas[k].net.load_state_dict(member_state(ema_model.net, k))
        unstack_optimizer_state(stepper.optimizer, optimizers, learning_rate(settings, iteration))

    def snapshot(iteration: int, elapsed: float) -> None:
        sync_members(iteration)
        payloads = [checkpoint_payload(*specs[k], iteration, models[k], emas[k], optimizers[k]) for k in range(n)]
        if iteration in settings.checkpoints:
            for k, payload in enumerate(payloads):
                save_checkpoint(payload, member_dirs[k] / f"ckpt_{iteration}.pt")
                save_checkpoint(payload, paths[k][iteration])
        members = [dict(payload, log=[list(r) for r in logs[k]], window=list(windows[k]), elapsed=elapsed)
                   for k, payload in enumerate(payloads)]
        save_checkpoint({"format": FORMAT, "iteration": int(iteration), "members": members}, bundle)
        for rows, path in zip(logs, log_paths):
            write_log(rows, path)

    def diverged(member: int, iteration: int, value: float) -> Exception:
        return TrainingDiverged(f"training {sde.name} on {data_specs[member]}, seed {seeds[member]} (ensemble member "
                                f"{member}): loss {value} at iteration {iteration}; stopped without writing further "
                                "checkpoints")

    def prepare(iterations: range) -> Batch:
        """Each member's host batches, member-major within every iteration: (k, M * B, ...)."""
        parts = [host.chunk(iterations) for host in hosts]
        return Batch(*(torch.stack(field, dim=1).flatten(1, 2) for field in zip(*parts)))

    run_chunks(settings, stepper, prepare, start, logs, windows, elapsed, snapshot, diverged,
               progress_bar(settings, start, f"train {sde.name} x{n}", progress))
    sync_members(settings.iterations)
    for rows, path in zip(logs, log_paths):
        write_log(rows, path)
    for member_dir in member_dirs:
        remove_resume_state(member_dir, settings.checkpoints)
    remove_resume_state(state_dir, ())
    return emas
