"""What loading a checkpoint refuses: another model's checkpoint (data, process, parameters,
seed, iteration), non-finite weights; an unreadable resume state restarts the run instead of
stopping every rerun; a batch larger than a finite data set is said once."""

import numpy as np
import pytest

from activediff.alanine.models import DihedralChart, DihedralFrames
from activediff.diffusion.sde import make_sde
from activediff.io import InputError
from activediff.ising.models import LatticeData
from activediff.training.checkpoints import load_score_model, load_score_models, read_checkpoint, save_checkpoint
from activediff.training.ensemble import train_ensemble
from activediff.training.train import TrainSettings, note_small_data

from conftest import Interrupt, interrupting
from test_train import DATA, SMALL, data_fn, run

ACTIVE = {"k": 1, "tau": 0.25, "Tp": 0, "Ta": 1, "eta0": "zero"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 60-iteration active model (seed 1) with checkpoints at 30 and 60."""
    _, paths = run(tmp_path_factory.mktemp("active"), sde=make_sde("active", **ACTIVE), seed=1)
    return paths


def identity(**changes):
    base = {"data": dict(DATA), "sde": {"name": "active", "params": dict(ACTIVE)}, "seed": 1, "iteration": 60}
    return {**base, **changes}


def test_the_asked_for_model_loads(trained):
    model = load_score_model(trained[60], expect=identity())
    assert model.sde.name == "active"
    models = load_score_models([trained[30], trained[60]], [30, 60], {k: v for k, v in identity().items()
                                                                      if k != "iteration"})
    assert sorted(models) == [30, 60]
    # A subset of the data spec is checked key by key (as the Ising and alanine rules ask).
    load_score_model(trained[60], expect=identity(data={"kind": DATA["kind"]}))


@pytest.mark.parametrize("changes, message", [
    ({"sde": {"name": "passive", "params": {"k": 1, "T": 1}}}, r"process 'active' \(expected 'passive'\)"),
    ({"sde": {"name": "active", "params": dict(ACTIVE, tau=0.5)}}, r"process parameter tau 0.25 \(expected 0.5\)"),
    ({"seed": 2}, r"training seed 1 \(expected 2\)"),
    ({"iteration": 30}, r"iteration 60 \(expected 30\)"),
    ({"data": dict(DATA, mean=2.0)}, r"data mean 1.2 \(expected 2.0\)"),
])
def test_a_checkpoint_of_another_model_is_refused(trained, changes, message):
    with pytest.raises(InputError, match=rf"ckpt_60.pt: checkpoint of another model: .*{message}"):
        load_score_model(trained[60], expect=identity(**changes))


def test_every_difference_is_named_at_once(trained):
    with pytest.raises(InputError) as err:
        load_score_model(trained[60], expect=identity(seed=5, iteration=30))
    assert "training seed 1 (expected 5); iteration 60 (expected 30)" in str(err.value)


def test_checkpoints_paired_with_the_wrong_iterations_are_refused(trained):
    with pytest.raises(InputError, match=r"ckpt_60.pt: .*iteration 60 \(expected 30\)"):
        load_score_models([trained[60], trained[30]], [30, 60], {"seed": 1})


@pytest.mark.parametrize("ema", [True, False])
def test_non_finite_weights_stop_the_load_naming_the_weight(trained, tmp_path, ema):
    payload = read_checkpoint(trained[60])
    which = "ema" if ema else "model"
    name = sorted(payload[which])[1]
    payload[which][name].view(-1)[3] = float("nan")
    save_checkpoint(payload, tmp_path / "nan.pt")
    with pytest.raises(InputError, match=rf"nan.pt: non-finite {'EMA' if ema else 'model'} weight "
                                         rf"{name}\[.*\] = nan \(iteration 60\)"):
        load_score_model(tmp_path / "nan.pt", ema=ema)
    # The other copy of the weights is finite and still loads.
    load_score_model(tmp_path / "nan.pt", ema=not ema)


def _cut_and_truncate(trainer, folder):
    """Interrupt a run after its resume state at 30, then truncate that state to half its bytes."""
    with pytest.raises(Interrupt):
        trainer(folder, interrupting(data_fn, after=45))
    last = folder / "resume" / "last.pt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])


def _single(folder, fn):
    return run(folder, fn=fn)[1]


def _ensemble(folder, fn):
    settings = TrainSettings(**SMALL)
    paths = [{i: folder / f"seed{s}" / f"ckpt_{i}.pt" for i in settings.checkpoints} for s in (1, 2)]
    train_ensemble(settings, make_sde("active", eta0="zero"), fn, DATA, [1, 2], paths,
                   [folder / f"seed{s}" / "train_log.csv" for s in (1, 2)], folder / "resume", device="cpu",
                   threads=1, progress=False)
    return {(s, i): paths[k][i] for k, s in enumerate((1, 2)) for i in settings.checkpoints}


@pytest.mark.parametrize("trainer", [_single, _ensemble], ids=["single", "ensemble"])
def test_a_truncated_resume_state_restarts_the_run_with_the_same_bytes(tmp_path, capfd, trainer):
    full = trainer(tmp_path / "full", data_fn)
    _cut_and_truncate(trainer, tmp_path / "cut")
    capfd.readouterr()
    cut = trainer(tmp_path / "cut", data_fn)
    err = capfd.readouterr().err
    assert "last.pt: not a readable training checkpoint" in err and "training from iteration 0" in err
    assert not (tmp_path / "cut" / "resume").exists()
    for key in full:
        assert full[key].read_bytes() == cut[key].read_bytes(), key


def test_a_batch_larger_than_a_finite_data_set_is_said(capfd):
    lattices = np.where(np.random.default_rng(0).random((8, 4, 4)) < 0.5, -1, 1).astype(np.int8)
    frames = DihedralFrames(np.zeros(10), np.ones(10), DihedralChart())
    note_small_data(1024, LatticeData(lattices))
    note_small_data(64, frames)
    note_small_data(8, LatticeData(lattices))  # not larger: nothing said
    note_small_data(10**6, data_fn)  # drawn on the fly: no size, nothing said
    err = capfd.readouterr().err.splitlines()
    assert err == [
        "note: batch_size 1024 exceeds the 8 training points of LatticeData(8 lattices of 4x4); "
        "every batch repeats points (drawn with replacement)",
        "note: batch_size 64 exceeds the 10 training points of DihedralFrames(10 frames); "
        "every batch repeats points (drawn with replacement)",
    ]
