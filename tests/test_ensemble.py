"""Ensemble trainer: member k is the single-model run of seed k (weights to float32 round-off,
losses), its checkpoints have the single trainer's format and paths, byte-equal resume after a
kill, one diverging member stops the bundle naming its seed, the U-Net."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_train import kill_while_training

from activediff.diffusion.sde import make_sde
from activediff.io import InputError
from activediff.toy import data as toy
from activediff.training.checkpoints import TrainingDiverged, load_score_model, read_checkpoint
from activediff.training.ensemble import StackedLinear, VmappedNet, member_state, stack_nets, train_ensemble
from activediff.training.nets import build_net
from activediff.training.train import TrainSettings, train

from conftest import Interrupt, interrupting

DATA = {"kind": "diamond", "B": 0.5, "std": 0.04}
SEEDS = (11, 22, 33)
SMALL = dict(checkpoints=(30, 60), batch_size=64, log_every=10, resume_every=10)


def data_fn(n, seed):
    return toy.sample("diamond", n, seed, B=0.5, std=0.04)


def run_ensemble(tmp: Path, settings=None, sde=None, fn=data_fn, seeds=SEEDS, **kw):
    settings = settings or TrainSettings(**SMALL)
    sde = sde or make_sde("active", eta0="stationary")
    paths = [{i: tmp / f"seed{k}" / f"ckpt_{i}.pt" for i in settings.checkpoints} for k in range(len(seeds))]
    logs = [tmp / f"seed{k}" / "train_log.csv" for k in range(len(seeds))]
    models = train_ensemble(settings, sde, fn, DATA, list(seeds), paths, logs, tmp / "resume", device="cpu",
                            threads=1, progress=False, **kw)
    return models, paths, logs


def run_single(tmp: Path, seed, settings, sde, fn=data_fn):
    paths = {i: tmp / f"ckpt_{i}.pt" for i in settings.checkpoints}
    train(settings, sde, fn, DATA, seed, paths, tmp / "train_log.csv", tmp / "resume", device="cpu", threads=1,
          progress=False)
    return paths, tmp / "train_log.csv"


CASES = {
    "active": (dict(checkpoints=(100, 300), batch_size=64, log_every=50, resume_every=100, ema_warmup=True),
               ("active", {"eta0": "stationary"}), "bmm"),
    "cld_mixed_warmup": (dict(checkpoints=(300,), batch_size=64, log_every=50, resume_every=300, mixed_score=True,
                              weighting="likelihood", warmup=50, grad_clip=0.5), ("cld", {}), "bmm"),
    "passive_vmap": (dict(checkpoints=(300,), batch_size=64, log_every=100, resume_every=300,
                          weighting="reweightedv1"), ("passive", {}), "vmap"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_members_match_single_model_runs(tmp_path, case):
    """After 300 iterations every member's weights, EMA weights and Adam moments equal the
    single-model run of its seed to float32 round-off, its logged losses to 1e-5 relative, and its
    checkpoints have the same keys, spec and optimiser settings (load_score_model reads them)."""
    kw, (name, params), stacking = CASES[case]
    settings, sde = TrainSettings(**kw), make_sde(name, **params)
    _, paths, logs = run_ensemble(tmp_path / "ensemble", settings, sde, stacking=stacking)
    for k, seed in enumerate(SEEDS):
        single_paths, single_log = run_single(tmp_path / f"single{k}", seed, settings, sde)
        for i in settings.checkpoints:
            ours, ref = read_checkpoint(paths[k][i]), read_checkpoint(single_paths[i])
            assert sorted(ours) == sorted(ref) and ours["spec"] == ref["spec"]
            assert ours["fingerprint"] == ref["fingerprint"] and ours["iteration"] == ref["iteration"] == i
            assert ours["optimizer"]["param_groups"] == ref["optimizer"]["param_groups"]
            for key in ("model", "ema"):
                assert list(ours[key]) == list(ref[key])
                for param, value in ref[key].items():
                    torch.testing.assert_close(ours[key][param], value, rtol=1e-4, atol=2e-6)
            for j, state in ref["optimizer"]["state"].items():
                assert torch.equal(ours["optimizer"]["state"][j]["step"], state["step"])
                for moment in ("exp_avg", "exp_avg_sq"):
                    torch.testing.assert_close(ours["optimizer"]["state"][j][moment], state[moment], rtol=1e-3,
                                               atol=1e-7)
        ours, ref = pd.read_csv(logs[k]), pd.read_csv(single_log)
        assert list(ours.iteration) == list(ref.iteration) and list(ours.lr) == list(ref.lr)
        np.testing.assert_allclose(ours.loss, ref.loss, rtol=1e-5)
        model = load_score_model(paths[k][settings.iterations])
        u = torch.randn(7, sde.n_channels, 2, dtype=torch.float64)
        torch.testing.assert_close(model(u, 0.3), load_score_model(single_paths[settings.iterations])(u, 0.3),
                                   rtol=1e-4, atol=1e-5)


def test_same_config_same_bytes_and_no_resume_state_left(tmp_path):
    run_ensemble(tmp_path / "a")
    run_ensemble(tmp_path / "b")
    for k in range(len(SEEDS)):
        for i in SMALL["checkpoints"]:
            name = f"seed{k}/ckpt_{i}.pt"
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not (tmp_path / "a" / "resume").exists()


def assert_same_outputs(a: Path, b: Path, n=len(SEEDS)):
    for k in range(n):
        for i in SMALL["checkpoints"]:
            assert (a / f"seed{k}" / f"ckpt_{i}.pt").read_bytes() == (b / f"seed{k}" / f"ckpt_{i}.pt").read_bytes()
        la, lb = (pd.read_csv(d / f"seed{k}" / "train_log.csv") for d in (a, b))
        pd.testing.assert_frame_equal(la.drop(columns="time_s"), lb.drop(columns="time_s"))


def test_resume_after_interruption_gives_the_same_bytes(tmp_path):
    run_ensemble(tmp_path / "full")
    failing = interrupting(data_fn, after=3 * 45)  # drawing iteration 45 (3 members per iteration): the last state is at 40

    with pytest.raises(Interrupt):
        run_ensemble(tmp_path / "cut", fn=failing)
    state = read_checkpoint(tmp_path / "cut" / "resume" / "last.pt")
    assert state["iteration"] == 30 and len(state["members"]) == len(SEEDS)
    for k in range(len(SEEDS)):
        (tmp_path / "cut" / f"seed{k}" / "ckpt_30.pt").unlink()  # as Snakemake deletes a failed job's outputs
    run_ensemble(tmp_path / "cut")
    assert_same_outputs(tmp_path / "full", tmp_path / "cut")


def test_resume_after_sigkill_gives_the_same_bytes(tmp_path):
    """A real kill (SIGKILL, at an arbitrary point) of an ensemble training process, then a resume."""
    out = tmp_path / "killed"
    kill_while_training(out, module="test_ensemble", runner="run_ensemble", sleep=0.02)
    assert not (out / "seed0" / "ckpt_60.pt").exists(), "the run ended before it was killed"
    run_ensemble(out)
    run_ensemble(tmp_path / "full")
    assert_same_outputs(tmp_path / "full", out)


def test_a_diverging_member_stops_the_bundle_naming_its_seed(tmp_path):
    from activediff.seeding import derive_seed
    poison_seed = derive_seed(SEEDS[1], "train-data", 37)

    def poisoned(n, seed):
        x = data_fn(n, seed)
        if seed == poison_seed:
            x[3] = np.nan
        return x

    with pytest.raises(TrainingDiverged, match=f"seed {SEEDS[1]} .*at iteration 37"):
        run_ensemble(tmp_path, fn=poisoned)
    assert (tmp_path / "seed0" / "ckpt_30.pt").exists() and not (tmp_path / "seed0" / "ckpt_60.pt").exists()


def test_resume_state_of_another_bundle_is_refused(tmp_path):
    failing = interrupting(data_fn, after=3 * 25)

    with pytest.raises(Interrupt):
        run_ensemble(tmp_path, fn=failing)
    with pytest.raises(InputError, match="resume state of a different ensemble"):
        run_ensemble(tmp_path, seeds=SEEDS[:2])
    with pytest.raises(InputError, match=r"last\.pt: resume state of a different run \(seed"):
        run_ensemble(tmp_path, seeds=(11, 22, 44))


def test_stacked_networks_compute_each_members_output():
    """StackedLinear (bmm) and VmappedNet give each member's own network output on its rows, and
    member_state recovers each member's state dict."""
    nets = []
    for k in range(3):
        torch.manual_seed(k)
        nets.append(build_net("mlp", (2, 2), width=16, depth=2))
    u, t = torch.randn(3 * 5, 2, 2), torch.rand(3 * 5)
    for stacking, kind in (("bmm", StackedLinear), ("vmap", VmappedNet), ("loop", VmappedNet)):
        stacked = stack_nets(nets, stacking)
        assert any(isinstance(m, kind) for m in stacked.modules())
        out = stacked(u, t)
        for k, net in enumerate(nets):
            torch.testing.assert_close(out[5 * k:5 * (k + 1)], net(u[5 * k:5 * (k + 1)], t[5 * k:5 * (k + 1)]))
            state = member_state(stacked, k)
            assert list(state) == list(net.state_dict())
            for key, value in net.state_dict().items():
                assert torch.equal(state[key], value)
    with pytest.raises(ValueError, match="nn.Linear layers only"):
        stack_nets([build_net("unet", (2, 8, 8), channels=4, channel_mult=[1, 2], attn_resolutions=[])] * 2, "bmm")


def test_unet_members_match_single_model_runs(tmp_path):
    """The lattice U-Net (stacking "auto": a loop over members' slices of the stacked weights, since
    vmap does not run it) matches the single-model runs: logged losses to 1e-5 relative and the
    trained networks' outputs to 1e-3. (Weights are not compared one by one: a conv bias followed
    by GroupNorm has zero true gradient, and Adam turns its round-off gradient into full steps.)"""
    settings = TrainSettings(checkpoints=(20,), batch_size=4, log_every=10, resume_every=20, net="unet",
                             net_params={"channels": 4, "channel_mult": [1, 2], "attn_resolutions": [4]})
    sde = make_sde("passive")

    def lattices(n, seed):
        return np.sign(np.random.default_rng(seed).standard_normal((n, 8, 8)))

    paths = [{20: tmp_path / f"e{k}.pt"} for k in range(2)]
    train_ensemble(settings, sde, lattices, DATA, [5, 6], paths, [tmp_path / f"e{k}.csv" for k in range(2)],
                   tmp_path / "resume", device="cpu", threads=1, progress=False)
    u = torch.randn(6, 1, 8, 8, dtype=torch.float64)
    for k, seed in enumerate((5, 6)):
        ref_paths, ref_log = run_single(tmp_path / f"s{k}", seed, settings, sde, fn=lattices)
        ours, ref = read_checkpoint(paths[k][20]), read_checkpoint(ref_paths[20])
        assert list(ours["ema"]) == list(ref["ema"]) and ours["spec"] == ref["spec"]
        for ema in (True, False):
            torch.testing.assert_close(load_score_model(paths[k][20], ema=ema)(u, 0.4),
                                       load_score_model(ref_paths[20], ema=ema)(u, 0.4), rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(pd.read_csv(tmp_path / f"e{k}.csv").loss, pd.read_csv(ref_log).loss, rtol=1e-5)
