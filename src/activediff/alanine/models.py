"""Score models on alanine-dipeptide backbone dihedrals (paper Fig 3a): chart, data, sampling.

Periodicity. phi and psi live on a torus; the passive, active and CLD processes act on R^2. Each
angle is therefore mapped to a chart coordinate x in [-1, 1) by cutting its circle at a seam s:

    x = ((angle - s) mod 360) / 180 - 1,        angle = wrap(s + 180 (x + 1)),

so x is the angle in units of 180 degrees measured from the point opposite the seam. The models
are trained and sampled in R^2 on these coordinates, and every generated x (which may leave
[-1, 1)) is wrapped back into [-180, 180): a sample that overshoots the seam reappears on its other
side, which is where the density continues. Two charts (config alanine.models.chart):

- lowest_density (default): each angle's seam is the centre of the longest run of least-populated
  bins (width seam_bin_deg) of the data's histogram on the circle, so the cut, and with it the
  chart's only discontinuity, falls where the data have (almost) no mass. The choice is a
  deterministic function of the data and the bin width (ties: the first run from -180 upwards).
- plain: s = -180 for both angles, x = angle / 180, the paper's [-180, 180) chart [A].

The chart is written once (results/alanine/chart.json) and read by training and sampling.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from activediff.alanine.basins import wrap_degrees
from activediff.diffusion.ode_sampler import probability_flow_samples
from activediff.diffusion.settings import SamplingSettings
from activediff.io import InputError, load_npz

CHARTS = ("lowest_density", "plain")
DATA_KIND = "alanine_dihedrals"   # training dataset kind of train_model.py


@dataclass(frozen=True)
class DihedralChart:
    """Seams (degrees, in [-180, 180)) of the phi and psi charts."""

    seam_phi: float = -180.0
    seam_psi: float = -180.0

    def to_chart(self, phi, psi) -> np.ndarray:
        """(n, 2) chart coordinates in [-1, 1) of angles in degrees (any real values)."""
        seams = np.array([self.seam_phi, self.seam_psi])
        angles = np.stack([np.asarray(phi, np.float64), np.asarray(psi, np.float64)], axis=-1)
        x = np.mod(angles - seams, 360.0) / 180.0 - 1.0
        return np.where(x >= 1.0, -1.0, x)   # mod of a tiny negative number can round to 360

    def from_chart(self, x) -> tuple[np.ndarray, np.ndarray]:
        """(phi, psi) in [-180, 180) of chart coordinates (n, 2), wrapped whatever their range."""
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != 2:
            raise InputError(f"chart coordinates must have shape (n, 2), got {x.shape}")
        angles = wrap_degrees(np.array([self.seam_phi, self.seam_psi]) + 180.0 * (x + 1.0))
        return angles[:, 0], angles[:, 1]


def lowest_density_seam(angles, bin_deg: float = 5.0) -> float:
    """Centre (degrees, in [-180, 180)) of the longest circular run of bins holding the fewest
    points; -180 when every bin holds the same number (no preferred cut)."""
    n_bins = 360.0 / bin_deg
    if not (bin_deg > 0 and abs(n_bins - round(n_bins)) < 1e-9):
        raise InputError(f"alanine.models.seam_bin_deg must divide 360, got {bin_deg}")
    n_bins = int(round(n_bins))
    angles = wrap_degrees(angles)
    if angles.size == 0:
        raise InputError("no angles to place a chart seam in")
    index = np.minimum(((angles + 180.0) // bin_deg).astype(np.int64), n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    low = counts == counts.min()
    if low.all():
        return -180.0
    start = int(np.flatnonzero(~low)[0])          # rotate so that the walk starts outside a run
    best_len, best_first, run_len = 0, 0, 0
    for step in range(1, n_bins + 1):
        b = (start + step) % n_bins
        if low[b]:
            run_len += 1
            if run_len > best_len or (run_len == best_len and (b - run_len + 1) % n_bins < best_first):
                best_len, best_first = run_len, (b - run_len + 1) % n_bins
        else:
            run_len = 0
    centre = -180.0 + bin_deg * (best_first + best_len / 2.0)
    return float(wrap_degrees(centre))


def data_digest(phi, psi) -> str:
    """Short content hash of the dihedral data (enters the training fingerprint)."""
    h = hashlib.sha256(np.ascontiguousarray(phi, np.float64).tobytes())
    h.update(np.ascontiguousarray(psi, np.float64).tobytes())
    return h.hexdigest()[:16]


def chart_record(phi, psi, chart: str = "lowest_density", seam_bin_deg: float = 5.0) -> dict:
    """The chart of these data as a JSON-ready record (results/alanine/chart.json)."""
    if chart not in CHARTS:
        raise InputError(f"alanine.models.chart must be one of {CHARTS}, got {chart!r}")
    if chart == "plain":
        seams = (-180.0, -180.0)
    else:
        seams = (lowest_density_seam(phi, seam_bin_deg), lowest_density_seam(psi, seam_bin_deg))
    return {"chart": chart, "seam_bin_deg": float(seam_bin_deg), "seam_phi": seams[0], "seam_psi": seams[1],
            "n_frames": int(np.size(phi)), "data_sha256": data_digest(phi, psi)}


def read_chart(path: str | Path) -> tuple[DihedralChart, dict]:
    path = Path(path)
    try:
        record = json.loads(path.read_text())
        return DihedralChart(float(record["seam_phi"]), float(record["seam_psi"])), record
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a chart record with seam_phi and seam_psi ({err})") from None


class DihedralFrames:
    """data_fn(n, seed) of the trainer: n frames drawn uniformly with replacement from the data,
    in chart coordinates, shape (n, 2) float64 (the trainer's data contract); len() is the
    number of frames."""

    def __init__(self, phi, psi, chart: DihedralChart):
        self.x = chart.to_chart(phi, psi)
        if self.x.shape[0] == 0:
            raise InputError("no dihedral frames to train on")

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return f"DihedralFrames({len(self)} frames)"

    def __call__(self, n: int, seed: int) -> np.ndarray:
        return self.x[np.random.default_rng(seed).integers(0, self.x.shape[0], size=n)]


def training_data(dihedrals_path, chart_path):
    """(data_fn, data_spec) for train.train(): the dihedral frames in the recorded chart. The spec
    (chart, seams, data hash) enters the run's fingerprint, so a resume state of other data or
    another chart is refused."""
    data = load_npz(dihedrals_path, ("phi", "psi"))
    chart, record = read_chart(chart_path)
    if record.get("data_sha256") != data_digest(data["phi"], data["psi"]):
        raise InputError(f"{chart_path}: made from other data than {dihedrals_path}; rerun alanine_chart")
    return DihedralFrames(data["phi"], data["psi"], chart), dict(record, kind=DATA_KIND)


def sample_dihedrals(model, chart: DihedralChart, n_samples: int, seed: int, settings: SamplingSettings,
                     device=None) -> dict[str, np.ndarray]:
    """n_samples from a trained (phi, psi) score model with the adaptive probability-flow ODE
    (per-sample seeds and steps), mapped back to degrees in [-180, 180). Returns phi, psi, the
    raw chart coordinates x (n, 2) and the score evaluations per sample."""
    s = settings
    x, evals = probability_flow_samples(model.sde, model, (2,), n_samples, seed, s.eps, s.rtol, s.atol,
                                        denoise=s.denoise, batch_size=s.batch_size, device=device,
                                        step_control=s.step_control)
    if not np.all(np.isfinite(x)):
        raise FloatingPointError(f"{int((~np.isfinite(x)).any(axis=1).sum())} generated samples are not finite")
    phi, psi = chart.from_chart(x)
    return {"phi": phi, "psi": psi, "x": x, "score_evals": evals}
