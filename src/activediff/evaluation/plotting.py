"""Figure output shared by every figure: headless backend, one theme, byte-stable PNG and PDF."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from activediff.io import atomic_path  # noqa: E402

# Paper order and colours, the same in every figure.
SDE_ORDER = ("passive", "active", "cld")
SDE_LABELS = {"passive": "Passive", "active": "Active", "cld": "CLD"}
SDE_COLORS = dict(zip(SDE_ORDER, sns.color_palette("colorblind", 3)))


def set_theme() -> None:
    sns.set_theme(context="paper", style="ticks", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "svg.hashsalt": "activediff",
                         "pdf.compression": 6})


def save_figure(fig, png_path: str | os.PathLike, pdf: bool = True) -> None:
    """Write `fig` as PNG (and a PDF beside it) atomically, with no timestamps or software tags,
    so that a rerun with the same inputs gives the same bytes."""
    png_path = Path(png_path)
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None}, bbox_inches="tight")
    if pdf:
        with atomic_path(png_path.with_suffix(".pdf")) as tmp:
            fig.savefig(tmp, format="pdf", bbox_inches="tight",
                        metadata={"Creator": None, "Producer": None, "CreationDate": None})
    plt.close(fig)
