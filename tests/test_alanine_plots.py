"""The Ramachandran figure: draws for any number of frames, shows the basin table, and the same
inputs give the same PNG bytes."""

import numpy as np

from activediff.alanine.basins import basin_populations
from activediff.alanine.ramachandran import ramachandran_data_figure
from activediff.evaluation.plotting import save_figure, set_theme


def test_figure_is_byte_stable_and_handles_a_single_frame(tmp_path):
    set_theme()
    rng = np.random.default_rng(0)
    phi = np.r_[rng.normal(-70, 15, 500), rng.normal(-140, 15, 300)]
    psi = np.r_[rng.normal(-40, 15, 500), rng.normal(150, 15, 300)]
    table = basin_populations(phi, psi, n_bootstrap=50)
    for name in ("a", "b"):
        fig = ramachandran_data_figure(phi, psi, table)
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert any(t.startswith(r"$\alpha_R$") and "%" in t for t in texts)
        save_figure(fig, tmp_path / f"{name}.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    save_figure(ramachandran_data_figure(np.array([-60.0]), np.array([-40.0])), tmp_path / "one.png")
    assert (tmp_path / "one.png").stat().st_size > 5000
