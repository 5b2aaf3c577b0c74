"""Where each value the paper's text lost comes from (the parameter-source ledger).

arXiv:2411.07233 v1 has its numbers stripped in many places. For every such value the pipeline
uses, this table says where ours comes from: the v1 text, the authors' code (with its file), or
our assumption [A]. `ledger(config)` adds the value the run actually used.
"""

from __future__ import annotations

import pandas as pd

V1 = "paper v1 text"
FORK = "authors' network code (alamda/active-noise-SGM)"
ANALYTIC = "authors' analytic code (alamda/active-reverse-diffusion)"
CLD = "CLD-SGM (nv-tlabs/CLD-SGM)"
OURS = "our assumption [A]"

#: (config key path, source, where exactly / why)
SOURCES = [
    ("processes.beta", FORK, "configs scripts/simulations_rv2/config_active_*: beta_type linear, beta0 4, beta1 0"),
    ("processes.t_max", OURS, "t_total stripped in v1; max_time = 1 in every config of the fork"),
    ("processes.passive.k", FORK, "comparison runs use k = 1"),
    ("processes.passive.T", FORK, "comparison runs use T = Tp = 1 (= Ta of the active runs)"),
    ("processes.active.k", FORK, "config_active_*: k = 1 (run_var_k.sh scans 0.01 .. 5)"),
    ("processes.active.tau", FORK, "config_active_*: tau = 0.25"),
    ("processes.active.Tp", FORK, "Tp = 0 in every config; a commit states it is never non-zero"),
    ("processes.active.Ta", FORK, "config_active_*: Ta = 1"),
    ("processes.active.eta0", V1, "appendix A6-A7: eta0 ~ N(0, Ta/tau); the fork's training code (losses.py, "
                                  "commit d87ef1a) uses eta0 = 0 instead: both are config values"),
    ("processes.cld.m_inv", CLD, "configs: m_inv = 4 (critical damping)"),
    ("processes.cld.gamma", CLD, "configs: gamma = 0.04 (HSM initial velocity variance factor)"),
    ("toy_datasets.diamond.B", FORK, "util/toy_data.py: 0.5"),
    ("toy_datasets.diamond.std", FORK, "util/toy_data.py: covariance_factor 0.04 multiplies a standard normal (a std)"),
    ("toy_datasets.diamond_close.B", OURS, "v1 'close spacing' stripped; util/toy_data.py has 0.2 (0.1 before 0bc491e)"),
    ("analytic.dt_physical", OURS, "the Fig 2 / A1-A4 step sizes are stripped; a physical grid down to 1e-3, "
                                   "where passive can resolve 0.04-wide modes (docs/theory.md 10)"),
    ("analytic.sampling.grid", ANALYTIC, "ReverseDiffusionAnalytical.py: score at n dt for n = N..1, last step to 0"),
    ("analytic.sampling.eps", ANALYTIC, "no eps in the analytic code"),
    ("analytic.sampling.denoise", V1, "appendix A2.3: no final denoising for the toys"),
    ("learned.sampling.grid", FORK, "sampling.py: reverse-time grid linspace(0, t_max - eps, N + 1)"),
    ("learned.sampling.eps", FORK, "sampling_eps = 1e-3 in the configs"),
    ("learned.sampling.denoise", V1, "appendix A2.3: no final denoising for the toys"),
    ("learned.dt_physical", OURS, "stripped; the exact-score grid without its 1e-3 (4,000 steps per model)"),
    ("training.batch_size", FORK, "configs: 512 (v1's 'batch size was ___' is blank)"),
    ("training.lr", FORK, "configs: Adam, lr 1e-3"),
    ("training.ema", FORK, "configs: EMA 0.999"),
    ("training.ema_warmup", FORK, "score_sde's EMA warm-up min(decay, (1 + i) / (10 + i)), inherited by the fork"),
    ("training.grad_clip", FORK, "configs: gradient clipping 1"),
    ("training.weighting", FORK, "configs of every toy run: reweightedv2"),
    ("training.checkpoints", OURS, "paper 1e6 iterations (v1 and configs); laptop scale here"),
    ("metrics.kde_bandwidth", FORK, "scripts/quant_analysis.py: bandwidth 0.01"),
    ("metrics.kde_grid", FORK, "scripts/quant_analysis.py: 500 x 500 grid over the joint bounding box"),
    ("metrics.iqr_threshold", FORK, "scripts/quant_analysis.py: IQR outlier filter, threshold 2"),
    ("metrics.n_eval", FORK, "scripts/quant_analysis.py: 512 data vs 512 generated points"),
    ("ising.L", V1, "32 x 32 lattice"),
    ("ising.temperatures", OURS, "'T = ___ and ___ below T_c' stripped; the fork trains 0.01 .. 4, evaluates 2"),
    ("ising.paper_flips", V1, "appendix A2.1: 1,000,000 attempted flips per sample"),
    ("ising_models.cutoff", OURS, "'cutoff of ___' stripped; the fork used sign, later the batch mean (26eb46e)"),
    ("ising_models.sampling.denoise", FORK, "image configs: denoising on"),
    ("alanine.production_ps", V1, "appendix A5: 1 us production (amber03, TIP3P); laptop scale here"),
    ("alanine.models.dip_bin_deg", OURS, "the paper judges the beta/P_II separation by eye; the dip contrast "
                                         "reads phi bins of this width at the data's two peaks and dip"),
    ("claims.kl_margin", OURS, "the paper states 'comparable' without a margin; 0.25 nats ~ 3 SE of the floor"),
    ("claims.large_dt_physical", OURS, "the paper's 'large' step sizes are stripped"),
    ("claims.ising_margin", OURS, "the paper states 'comparable' without a margin"),
    ("claims.spiral_threshold", OURS, "the paper judges the Swiss rolls by eye; a blurred roll scores 5-10"),
    ("claims.occupancy_threshold", OURS, "the paper judges the roll positions by eye"),
]


def lookup(config: dict, path: str):
    node = config
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def ledger(config: dict) -> pd.DataFrame:
    """The sources table with the value this run's config used (empty where the config lacks the key)."""
    rows = [dict(key=key, value="" if lookup(config, key) is None else str(lookup(config, key)), source=source,
                 detail=detail) for key, source, detail in SOURCES]
    return pd.DataFrame(rows)
