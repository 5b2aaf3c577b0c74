"""Fig A4: samples of the other toy sets over training iterations (rows: set x process)."""
from activediff.diffusion.settings import SamplingSettings
from activediff.evaluation.plotting import save_figure
from activediff.io import load_npz, log_to
from activediff.toy.data import load_points
from activediff.toy.figures import scatter_grid

log = log_to(snakemake.log[0])
p = snakemake.params
stage = SamplingSettings.from_config(p.sampling, "learned.sampling")
data = {}
for ds, path in zip(p.datasets, snakemake.input.data):
    x = load_points(path)
    for sde in p.sdes:
        data[(ds, sde)] = x
samples = {}
for (ds, sde), path in zip(p.panels, snakemake.input.samples):
    s = load_npz(path, ("sampler", "iters", "dt_phys", "convention", "x"))
    for sampler, iters, dt, convention, x in zip(s["sampler"], s["iters"], s["dt_phys"], s["convention"], s["x"]):
        if sampler == "learned_em" and abs(dt - p.dt) < 1e-12 and convention == stage.label:
            samples[((ds, sde), int(iters))] = x
rows = [(ds, sde) for ds in p.datasets for sde in p.sdes]
fig = scatter_grid(data, samples, rows, p.iterations, f"training iterations (Euler-Maruyama, dt = {p.dt:g} "
                   f"physical, {stage.label})",
                   col_label=lambda it: f"{it} iterations")
save_figure(fig, snakemake.output[0])
