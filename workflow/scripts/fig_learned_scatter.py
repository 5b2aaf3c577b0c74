"""Scatter grid of learned models' Euler-Maruyama samples over step sizes (Fig 2b, A2, A3, 3b)."""
from activediff.diffusion.settings import SamplingSettings
from activediff.evaluation.plotting import save_figure
from activediff.io import load_npz, log_to
from activediff.toy.data import load_points
from activediff.toy.figures import physical_step_label, scatter_grid

log = log_to(snakemake.log[0])
p = snakemake.params
stage = SamplingSettings.from_config(p.sampling, "learned.sampling")
data = load_points(snakemake.input.data)
samples, dts = {}, []
for sde, path in zip(p.sdes, snakemake.input.samples):  # one input per process, in order
    s = load_npz(path, ("sampler", "iters", "dt_phys", "convention", "x"))
    for sampler, iters, dt, convention, x in zip(s["sampler"], s["iters"], s["dt_phys"], s["convention"], s["x"]):
        if sampler == "learned_em" and iters == p.iters and convention == stage.label:
            samples[(sde, float(dt))] = x
            dts.append(float(dt))
dts = sorted(set(dts), reverse=True)
fig = scatter_grid(data, samples, p.sdes, dts, f"{p.dataset}: learned score (first training seed, {p.iters} "
                   f"iterations), Euler-Maruyama, {stage.label}", col_label=physical_step_label(p.beta))
save_figure(fig, snakemake.output[0])
