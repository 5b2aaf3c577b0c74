"""Scatter grid of exact-score reverse diffusion: processes x step sizes (Fig 2a, A1)."""
from activediff.evaluation.plotting import save_figure
from activediff.io import load_npz, log_to
from activediff.toy.data import load_points
from activediff.toy.figures import physical_step_label, scatter_grid

log = log_to(snakemake.log[0])
p = snakemake.params
data = load_points(snakemake.input.data)
samples = {}
for sde, path in zip(p.sample_sdes, snakemake.input.samples):
    arrays = load_npz(path, ("x", "dt_phys", "convention"))
    samples[(sde, float(arrays["dt_phys"]))] = arrays["x"]
fig = scatter_grid(data, samples, p.sdes, p.dts, f"{p.dataset}: reverse diffusion with the exact score, "
                   f"Euler-Maruyama, {arrays['convention']}", col_label=physical_step_label(p.beta))
save_figure(fig, snakemake.output[0])
