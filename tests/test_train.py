"""Training loop: learning the exact score, byte-equal resume after a kill, determinism, NaN stop,
checkpoint validation and device choice."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from activediff.diffusion.scores import score as exact_score
from activediff.diffusion.sde import make_sde
from activediff.io import InputError
from activediff.toy import data as toy
from activediff.training.checkpoints import TrainingDiverged, load_score_model, read_checkpoint
from activediff.training.losses import ScoreMatchingLoss
from activediff.training.train import TrainSettings, build_score_model, train

from conftest import Interrupt, interrupting

DATA = {"kind": "multigaussian_1d", "mean": 1.2, "std": 0.5}
SMALL = dict(checkpoints=(30, 60), batch_size=64, log_every=10, resume_every=10)


def data_fn(n, seed):
    return toy.sample("multigaussian_1d", n, seed, mean=1.2, std=0.5)


def run(tmp: Path, settings=None, sde=None, fn=data_fn, seed=1, **kw):
    settings = settings or TrainSettings(**SMALL)
    sde = sde or make_sde("active", eta0="zero")
    paths = {i: tmp / f"ckpt_{i}.pt" for i in settings.checkpoints}
    model = train(settings, sde, fn, DATA, seed, paths, tmp / "train_log.csv", tmp / "resume", device="cpu",
                  threads=1, progress=False, **kw)
    return model, paths


def relative_score_error(model, sde, t, n=20000):
    mix = toy.mixture_for(DATA["kind"], mean=1.2, std=0.5)
    rng = np.random.default_rng(0)
    batch = ScoreMatchingLoss().batch(model, data_fn(n, 99), np.full(n, t), rng.standard_normal((n, sde.n_channels, 1)))
    u = torch.from_numpy(batch.u)
    exact = exact_score(mix, sde, u, t)[:, model.channel]
    with torch.no_grad():
        learned = model(u, t)[:, model.channel]
    return float(((learned - exact) ** 2).mean() / (exact**2).mean())


@pytest.mark.parametrize("name", ["passive", "active"])
def test_learned_score_approaches_the_exact_score(tmp_path, name):
    """800 iterations at batch 512 on two 1D Gaussians: the (non-EMA) network's score is within
    15% (relative mean squared error over p_t) of the exact mixture score at every probed t,
    where the untrained network is off by ~100%."""
    sde = make_sde(name)
    settings = TrainSettings(checkpoints=(800,), log_every=100, resume_every=800)
    _, paths = run(tmp_path, settings, sde, seed=3)
    trained = load_score_model(paths[800], ema=False)
    untrained = build_score_model(settings, sde, (sde.n_channels, 1), seed=3)
    for t in (0.05, 0.3, 0.7):
        err = relative_score_error(trained, sde, t)
        assert err < 0.15, f"{name}: relative score error {err:.3f} at t={t}"
        assert relative_score_error(untrained, sde, t) > 0.9
    log = pd.read_csv(tmp_path / "train_log.csv")
    assert list(log.iteration) == list(range(100, 801, 100))
    assert log.loss.iloc[-1] < log.loss.iloc[0]


def test_same_config_same_bytes(tmp_path):
    run(tmp_path / "a")
    run(tmp_path / "b")
    for i in SMALL["checkpoints"]:
        assert (tmp_path / "a" / f"ckpt_{i}.pt").read_bytes() == (tmp_path / "b" / f"ckpt_{i}.pt").read_bytes()
    assert not (tmp_path / "a" / "resume").exists()  # the resume state is removed when a run ends
    log_a, log_b = (pd.read_csv(tmp_path / d / "train_log.csv") for d in "ab")
    pd.testing.assert_frame_equal(log_a.drop(columns="time_s"), log_b.drop(columns="time_s"))


def test_resume_after_interruption_gives_the_same_bytes(tmp_path):
    run(tmp_path / "full")
    failing = interrupting(data_fn, after=45)  # drawing iteration 45, ahead of the state at 40: the last state is at 30

    with pytest.raises(Interrupt):
        run(tmp_path / "cut", fn=failing)
    assert read_checkpoint(tmp_path / "cut" / "resume" / "last.pt")["iteration"] == 30
    (tmp_path / "cut" / "ckpt_30.pt").unlink()  # as Snakemake deletes a failed job's outputs
    run(tmp_path / "cut")
    for i in SMALL["checkpoints"]:
        assert (tmp_path / "full" / f"ckpt_{i}.pt").read_bytes() == (tmp_path / "cut" / f"ckpt_{i}.pt").read_bytes()
    full, cut = (pd.read_csv(tmp_path / d / "train_log.csv") for d in ("full", "cut"))
    pd.testing.assert_frame_equal(full.drop(columns="time_s"), cut.drop(columns="time_s"))


KILLED_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import {module} as tt

    def slow(n, seed):
        time.sleep({sleep})
        return tt.data_fn(n, seed)

    tt.{runner}(Path({out!r}), fn=slow)
""")


def kill_while_training(out: Path, module: str = "test_train", runner: str = "run", sleep: float = 0.05) -> None:
    """Start `module.runner(out, fn=slow data)` in a process and SIGKILL it, at an arbitrary point,
    once it has written a resume state."""
    code = KILLED_RUN.format(tests=str(Path(__file__).parent), out=str(out), module=module, runner=runner,
                             sleep=sleep)
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (out / "resume" / "last.pt").exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline, "the training process wrote no resume state"
        time.sleep(0.01)
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_resume_after_sigkill_gives_the_same_bytes(tmp_path):
    """A real kill (SIGKILL, at an arbitrary point) of a training process, then a resume."""
    out = tmp_path / "killed"
    kill_while_training(out)
    assert not (out / "ckpt_60.pt").exists(), "the run ended before it was killed"
    run(out)
    run(tmp_path / "full")
    for i in SMALL["checkpoints"]:
        assert (tmp_path / "full" / f"ckpt_{i}.pt").read_bytes() == (out / f"ckpt_{i}.pt").read_bytes()


def test_nan_loss_stops_naming_the_iteration(tmp_path):
    def poisoned(n, seed):
        x = data_fn(n, seed)
        if seed == poison_seed:
            x[3] = np.nan
        return x

    from activediff.seeding import derive_seed
    poison_seed = derive_seed(1, "train-data", 37)
    with pytest.raises(TrainingDiverged, match="at iteration 37"):
        run(tmp_path, fn=poisoned)
    assert (tmp_path / "ckpt_30.pt").exists() and not (tmp_path / "ckpt_60.pt").exists()


def test_corrupt_or_foreign_checkpoints_fail_naming_the_file(tmp_path):
    """(An unreadable resume state restarts its run instead: tests/test_checkpoints.py.)"""
    bad = tmp_path / "ckpt_60.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match=f"{bad}: not a readable training checkpoint"):
        load_score_model(bad)
    torch.save({"weights": torch.zeros(3)}, bad)
    with pytest.raises(InputError, match=f"{bad}: not an activediff checkpoint"):
        load_score_model(bad)
    with pytest.raises(InputError, match="checkpoint not found"):
        load_score_model(tmp_path / "missing.pt")


def test_resume_state_of_another_run_is_refused(tmp_path):
    failing = interrupting(data_fn, after=25)

    with pytest.raises(Interrupt):
        run(tmp_path, fn=failing)
    with pytest.raises(InputError, match=r"last\.pt: resume state of a different run \(settings\.lr"):
        run(tmp_path, settings=TrainSettings(**dict(SMALL, lr=2e-3)))


def test_checkpoint_rebuilds_the_score_model(tmp_path):
    ema_model, paths = run(tmp_path)
    loaded = load_score_model(paths[60])
    u = torch.randn(9, 2, 1, dtype=torch.float64)
    torch.testing.assert_close(loaded(u, 0.3), ema_model(u, 0.3))
    payload = read_checkpoint(paths[60])
    assert payload["iteration"] == 60 and payload["spec"]["sde"]["params"]["eta0"] == "zero"
    assert not torch.equal(payload["model"]["layers.0.weight"], payload["ema"]["layers.0.weight"])



def test_settings_validation():
    with pytest.raises(ValueError, match="checkpoints"):
        TrainSettings(checkpoints=())
    with pytest.raises(ValueError, match="weighting"):
        TrainSettings(checkpoints=(10,), weighting="sigma")
    assert TrainSettings(checkpoints=(20, 10, 20)).checkpoints == (10, 20)
    s = TrainSettings.from_config({"checkpoints": [5], "seeds": [0, 1, 2], "lr": 2e-4})
    assert s.lr == 2e-4 and s.iterations == 5


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_every_available_device_trains_the_same_model(tmp_path, device):
    """CPU (eager) and, where present, CUDA (captured graph) follow the same trajectory up to
    float rounding, and an interrupted run resumes on the device."""
    settings = TrainSettings(**SMALL)
    sde = make_sde("active", eta0="zero")
    paths = {i: tmp_path / device / f"ckpt_{i}.pt" for i in settings.checkpoints}

    failing = interrupting(data_fn, after=34)

    with pytest.raises(Interrupt):
        train(settings, sde, failing, DATA, 1, paths, tmp_path / device / "log.csv", tmp_path / device / "resume",
              device=device, threads=1, progress=False)
    train(settings, sde, data_fn, DATA, 1, paths, tmp_path / device / "log.csv", tmp_path / device / "resume",
          device=device, threads=1, progress=False)
    run(tmp_path / "reference")
    for i in settings.checkpoints:
        ours, ref = read_checkpoint(paths[i]), read_checkpoint(tmp_path / "reference" / f"ckpt_{i}.pt")
        for key in ("model", "ema"):
            for name, value in ref[key].items():
                torch.testing.assert_close(ours[key][name], value, rtol=0, atol=1e-4)


@pytest.mark.parametrize("warmup", [False, True])
def test_ema_matches_the_recurrence_over_raw_weights(tmp_path, warmup):
    """The EMA weights of the last checkpoint equal the recurrence e_i = d_i e_(i-1) + (1 - d_i) w_i
    evaluated in float64 over the raw weights of every iteration (one checkpoint each), with d_i =
    0.99 fixed or score_sde's warm-up min(0.99, (1 + i) / (10 + i))."""
    n = 12
    settings = TrainSettings(checkpoints=tuple(range(1, n + 1)), batch_size=16, ema=0.99, ema_warmup=warmup,
                             log_every=1, resume_every=n)
    _, paths = run(tmp_path, settings=settings)
    init = build_score_model(settings, make_sde("active", eta0="zero"), (2, 1), seed=1).net.state_dict()
    name = "layers.0.weight"
    ema = init[name].double()
    for i in range(1, n + 1):
        d = min(0.99, (1 + i) / (10 + i)) if warmup else 0.99
        ema = d * ema + (1 - d) * read_checkpoint(paths[i])["model"][name].double()
    stored = read_checkpoint(paths[n])["ema"][name].double()
    torch.testing.assert_close(stored, ema, rtol=0, atol=1e-6)
    # the warm-up's effective decay (~0.5 here) pulls the EMA far closer to the raw weights
    raw = read_checkpoint(paths[n])["model"][name].double()
    gap = float((stored - raw).abs().max() / (init[name].double() - raw).abs().max())
    assert (gap < 0.2) if warmup else (gap > 0.8)


# sha256 of the checkpoints and of the log (time column dropped) of three small runs, recorded with
# the single-model trainer before it was split into shared pieces for the ensemble trainer
# (training/ensemble.py): the split changed no byte. Bytes depend on torch's kernels and
# serialisation and on the CPU (its vector units change float rounding), so the pins hold for the
# torch build and the CPU models they were recorded on; each CPU's pins were made by the trainer
# of the commit before the split (0b71031^) and match today's.
PINNED_TORCH = "2.13.0+cpu"
XEON, EPYC = "Intel(R) Xeon(R) Processor", "AMD EPYC"
PINNED = {
    "active": (dict(checkpoints=(30, 120), batch_size=64, log_every=10, resume_every=50), ("active", {"eta0": "stationary"}),
               {XEON: {"30": "f248496a9a980dfab892f743ba61db2ec5b263e589863b1ef6ac8eadc717e866",
                       "120": "07ea5a08307ad8cca5c01c844c8de139fb5f2dc9c9821d22f266c38f74454d5c",
                       "log": "3da16a1e144c8a4b4c4ceed6b469be9cbc97601d08aaea43dc163659050f42a5"},
                EPYC: {"30": "74f1596992e4dab9b55b6a0e0a104ebf78c7aed0fd6dba53974b2d635ab659e7",
                       "120": "7716b3d5af456100f1f51720a8d4db3d4d0ca8ad212b7781b52fe9d83c3089e9",
                       "log": "5f50540a95bb42fa1a9e6adf5408afb868cac4744272de35a25e17c6fe56b775"}}),
    "cld_mixed_lik": (dict(checkpoints=(50, 130), batch_size=64, log_every=20, resume_every=60, mixed_score=True,
                           weighting="likelihood", warmup=20, ema_warmup=True), ("cld", {}),
                      {XEON: {"50": "eed84c14fe05b85c335f8d500144e6c54968f5fed8c3e3b34a9643c7507d4ed9",
                              "130": "306f1c54dbbc6071fc705cd7b53a436d897ecd9e7c647eecca029bd0fdbdff41",
                              "log": "682a75daaa2cd6aa518d400cb4f800ba7a77d56a9e5c276f92e34920291b5886"},
                       EPYC: {"50": "12deaae973a693b76e821ea8147bea19e44622b7858c55b1c282217a3037f81e",
                              "130": "c2d3131ed48642193f58f098412cc7574ea332ad54530647af627693f07bcd13",
                              "log": "b78bec9febe27985896b05418f7eecbcbf16d1f8b7974057a47f4942c1ba2786"}}),
    "passive_v1": (dict(checkpoints=(77,), batch_size=32, log_every=7, weighting="reweightedv1", ema_warmup=True),
                   ("passive", {}),
                   {XEON: {"77": "5626c774c6d3a9d50d1d539f1db6a0266bc8a2f5ebd9a0ef50b29c09741643b9",
                           "log": "259a1c1838b92cb65c3e2e8787f009d6be2fe0ee066e4784a0fd4a1d2e6499ea"},
                    EPYC: {"77": "eef23d94f3cd58798fe1ae9a4e287c702f8187ca8b92d7025c3adad9a608eeb4",
                           "log": "b1d6dc71f4007995cdd1f9e77709bb101ea18b7fa87a396891f4b35bef140eea"}}),
}


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


@pytest.mark.skipif(torch.__version__ != PINNED_TORCH or cpu_model() not in (XEON, EPYC),
                    reason=f"bytes pinned with torch {PINNED_TORCH} on {XEON} and {EPYC}")
@pytest.mark.parametrize("case", list(PINNED))
def test_single_model_bytes_unchanged_by_the_ensemble_refactor(tmp_path, case):
    import hashlib

    kw, (name, params), pins = PINNED[case]
    settings = TrainSettings(**kw)

    def diamond(n, seed):
        return toy.sample("diamond", n, seed, B=0.5, std=0.04)

    paths = {i: tmp_path / f"ckpt_{i}.pt" for i in settings.checkpoints}
    train(settings, make_sde(name, **params), diamond, {"kind": "diamond"}, 5, paths, tmp_path / "log.csv",
          tmp_path / "resume", device="cpu", threads=1, progress=False)
    found = {str(i): hashlib.sha256(p.read_bytes()).hexdigest() for i, p in paths.items()}
    log = pd.read_csv(tmp_path / "log.csv").drop(columns="time_s").to_csv()
    found["log"] = hashlib.sha256(log.encode()).hexdigest()
    assert found == pins[cpu_model()]
