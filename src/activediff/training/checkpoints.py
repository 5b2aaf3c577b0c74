"""Training checkpoints: plain state dicts written atomically, read back with weights_only=True.

A checkpoint (ckpt_{iteration}.pt) holds the network and EMA weights, the Adam state and the run's
spec (settings, process, data, seed, state shape), enough to rebuild the score model on its own
(`load_score_model`). It holds no wall time, so the same run gives the same bytes on CPU.
The resume state (state_dir/last.pt) is a checkpoint plus the training log so far.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Mapping

import torch

from activediff.diffusion.score_model import ScoreModel
from activediff.diffusion.sde import make_sde
from activediff.io import InputError, atomic_path
from activediff.training.nets import build_net

FORMAT = "activediff-score-model-v1"


class TrainingDiverged(FloatingPointError):
    """A non-finite training loss; the message names the iteration."""


def spec_fingerprint(spec: Mapping) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _cpu(obj):
    """Tensors moved to CPU (detached), containers rebuilt as plain dicts and lists."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, Mapping):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_cpu(v) for v in obj]
    return obj


def _optimizer_state(optimizer: torch.optim.Optimizer) -> dict:
    state = _cpu(optimizer.state_dict())
    for group in state["param_groups"]:
        group["lr"] = float(group["lr"])  # a tensor lr only exists for the CUDA-graph warm-up
    return state


def checkpoint_payload(spec, fingerprint, iteration, model: ScoreModel, ema_model: ScoreModel,
                       optimizer: torch.optim.Optimizer) -> dict:
    return {"format": FORMAT, "iteration": int(iteration), "spec": _cpu(spec), "fingerprint": fingerprint,
            "model": _cpu(model.net.state_dict()), "ema": _cpu(ema_model.net.state_dict()),
            "optimizer": _optimizer_state(optimizer)}


def save_checkpoint(payload: Mapping, path: str | Path) -> None:
    """torch.save into memory first (the archive's inner name is then fixed), then atomically."""
    buffer = io.BytesIO()
    torch.save(dict(payload), buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def read_checkpoint(path: str | Path) -> dict:
    """A checkpoint as a dict of CPU tensors; anything else fails with one message naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(io.BytesIO(path.read_bytes()), map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise InputError(f"{path}: not a readable training checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise InputError(f"{path}: not an activediff checkpoint (format {found!r}, expected {FORMAT!r})")
    return payload


def _differences(a: Mapping, b: Mapping, prefix: str = "") -> list[str]:
    keys = sorted(set(a) | set(b))
    out = []
    for k in keys:
        va, vb = a.get(k), b.get(k)
        if isinstance(va, Mapping) and isinstance(vb, Mapping):
            out += _differences(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append(f"{prefix}{k}: {va!r} -> {vb!r}")
    return out


def _load_weights(module: torch.nn.Module, weights: Mapping, path: Path, what: str) -> None:
    try:
        module.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError) as err:
        raise InputError(f"{path}: {what} weights do not fit the network ({err})") from None


def read_resume_state(path: str | Path) -> dict | None:
    """A resume state (state_dir/last.pt), or None when there is none to resume from.

    One that cannot be read (truncated by a full disk, say: our own writes are atomic) is deleted
    with a message and the run starts again from iteration 0, which gives the same bytes as a
    resumed run, only later; no rerun stops on it."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return read_checkpoint(path)
    except InputError as err:
        print(f"{err}; deleting it and training from iteration 0 (same result, more time)", file=sys.stderr)
        path.unlink()
        return None


def load_training_state(state_dir: str | Path, spec: Mapping, fingerprint: str, model: ScoreModel,
                        ema_model: ScoreModel, optimizer: torch.optim.Optimizer):
    """Load state_dir/last.pt into the model, EMA and optimiser if present (read_resume_state).

    Returns (iteration, log rows, partial log window, elapsed seconds), or None for a fresh start.
    A resume state of a different run (other settings, data or seed) is refused, not overwritten.
    """
    path = Path(state_dir) / "last.pt"
    state = read_resume_state(path)
    if state is None:
        return None
    return apply_training_state(state, path, spec, fingerprint, model, ema_model, optimizer)


def apply_training_state(state: Mapping, path: Path, spec: Mapping, fingerprint: str, model: ScoreModel,
                         ema_model: ScoreModel, optimizer: torch.optim.Optimizer):
    """Load one run's resume state (read from `path`, named in errors) into its model, EMA and
    optimiser; returns (iteration, log rows, partial log window, elapsed seconds)."""
    if state.get("fingerprint") != fingerprint:
        diff = "; ".join(_differences(state.get("spec", {}), spec)) or "fingerprint differs"
        raise InputError(f"{path}: resume state of a different run ({diff}); delete {path.parent} "
                         "to start this run from scratch")
    _load_weights(model.net, state["model"], path, "model")
    _load_weights(ema_model.net, state["ema"], path, "EMA")
    # Keep this optimiser's own execution flags and lr type (fused, capturable, tensor lr).
    own = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    try:
        optimizer.load_state_dict(state["optimizer"])
    except (ValueError, KeyError) as err:
        raise InputError(f"{path}: optimiser state does not fit ({err})") from None
    for group, flags in zip(optimizer.param_groups, own):
        group.update(flags)
    rows = [tuple(r) for r in state["log"]]
    return state["iteration"], rows, list(state["window"]), float(state["elapsed"])


def restore_outputs(state_dir: str | Path, paths: Mapping[int, Path], upto: int) -> None:
    """Put back the checkpoints a resumed run already wrote (a workflow manager may have deleted
    them as outputs of a failed job)."""
    for iteration, path in paths.items():
        kept = Path(state_dir) / f"ckpt_{iteration}.pt"
        if iteration <= upto:
            if not kept.is_file():
                raise InputError(f"{kept}: missing; the resume state at iteration {upto} needs it")
            with atomic_path(path) as tmp:
                tmp.write_bytes(kept.read_bytes())


def remove_resume_state(state_dir: str | Path, checkpoints) -> None:
    """Delete the files this module wrote in state_dir, then the folder if it is empty."""
    state_dir = Path(state_dir)
    names = ["last.pt"] + [f"ckpt_{i}.pt" for i in checkpoints]
    for name in names:
        (state_dir / name).unlink(missing_ok=True)
        for leftover in state_dir.glob(f".{name}.*.tmp.pt"):  # atomic_path's temp file of a killed write
            leftover.unlink()
    if state_dir.is_dir() and not any(state_dir.iterdir()):
        state_dir.rmdir()


def identity_mismatches(payload: Mapping, expect: Mapping) -> list[str]:
    """How a checkpoint differs from the model a rule asks for, as "what: found (expected ...)".

    `expect` may name any of: data (a mapping; each of its keys must match the checkpoint's data
    spec, so {"kind": "ising", "T": 2.27} checks the kind and temperature only), sde ({"name",
    "params"}: the process and every parameter given), seed (the training seed) and iteration."""
    spec, found = payload.get("spec", {}), []
    data = spec.get("data", {})
    for key, value in dict(expect.get("data", {})).items():
        if data.get(key) != value:
            found.append(f"data {key} {data.get(key)!r} (expected {value!r})")
    if "sde" in expect:
        sde, want = spec.get("sde", {}), expect["sde"]
        if sde.get("name") != want["name"]:
            found.append(f"process {sde.get('name')!r} (expected {want['name']!r})")
        else:
            params = sde.get("params", {})
            found += [f"process parameter {k} {params.get(k)!r} (expected {v!r})"
                      for k, v in dict(want.get("params", {})).items() if params.get(k) != v]
    if "seed" in expect and spec.get("seed") != expect["seed"]:
        found.append(f"training seed {spec.get('seed')!r} (expected {expect['seed']!r})")
    if "iteration" in expect and payload.get("iteration") != expect["iteration"]:
        found.append(f"iteration {payload.get('iteration')!r} (expected {expect['iteration']!r})")
    return found


def _first_nonfinite(weights: Mapping) -> str | None:
    for name, tensor in weights.items():
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            bad = (~torch.isfinite(tensor)).nonzero()[0].tolist()
            return f"{name}{bad} = {tensor[tuple(bad)].item()}"
    return None


def load_score_model(path: str | Path, device: str | torch.device = "cpu", ema: bool = True,
                     expect: Mapping | None = None) -> ScoreModel:
    """The trained score model of a checkpoint (EMA weights unless ema=False), in eval mode, with
    its process rebuilt from the checkpoint: usable as a sampler's score_fn.

    `expect` (see identity_mismatches) is what the caller asks for; a checkpoint of another model
    (data, process, seed or iteration) is refused naming every difference. Weights with a
    non-finite entry are refused naming the first one: no sampler would give a sample from them."""
    path = Path(path)
    payload = read_checkpoint(path)
    mismatches = identity_mismatches(payload, expect or {})
    if mismatches:
        raise InputError(f"{path}: checkpoint of another model: {'; '.join(mismatches)}")
    spec, which = payload["spec"], "ema" if ema else "model"
    try:
        settings, sde_spec = spec["settings"], spec["sde"]
        sde = make_sde(sde_spec["name"], **sde_spec["params"])
        net = build_net(settings["net"], tuple(spec["state_shape"]), **settings["net_params"])
        model = ScoreModel(net, sde, settings["mixed_score"], settings["numerical_eps"])
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"{path}: checkpoint spec incomplete or invalid ({err})") from None
    bad = _first_nonfinite(payload[which])
    if bad is not None:
        raise InputError(f"{path}: non-finite {'EMA' if ema else 'model'} weight {bad} "
                         f"(iteration {payload.get('iteration')}); retrain this model")
    _load_weights(model.net, payload[which], path, "EMA" if ema else "model")
    return model.to(device).eval().requires_grad_(False)


def load_score_models(paths, iterations, identity: Mapping, device: str | torch.device = "cpu") -> dict:
    """{iteration: model} of one run's checkpoints (paths in the order of iterations), each checked
    against `identity` (data, sde, seed) and its own iteration."""
    paths, iterations = list(paths), [int(it) for it in iterations]
    if len(paths) != len(iterations):
        raise ValueError(f"{len(paths)} checkpoints for {len(iterations)} iterations")
    return {it: load_score_model(path, device, expect=dict(identity, iteration=it))
            for it, path in zip(iterations, paths)}
