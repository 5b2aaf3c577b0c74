# Claim map (issue 11 item 2; docs/theory.md 10; activediff.toy.claim_map): under which sampling
# conventions (physical step, eps, final denoising) and active parameters (k, tau, eta0) does the
# active process beat the passive one on a Gaussian-mixture toy set with the exact score, against
# the paper's passive comparison (T = Tp + Ta) and the temperature-matched one (T = k Sigma_inf[0, 0])?
# One job per passive comparison process (shared by every variant that compares against it), one
# per active variant (its tidy rows), then the table and the heat map. The job parameters come
# from ClaimMapPlan, so this file holds rules only.

import re

from activediff.toy import claim_map as claim_map_lib

CLAIM_MAP = claim_map_lib.ClaimMapPlan.from_config(config)

# rule all's targets (called in all_targets(), workflow/rules/common.smk)
claim_map_targets = lambda: (
    ["results/figures/claim_map.png", "results/metrics/claim_map.csv"] if CLAIM_MAP.settings.enabled else []
)


# Seconds of work each: on SLURM they run in the Snakemake process, not as jobs.
localrules:
    claim_map_table,
    claim_map_figure,


rule claim_map_passive:
    input:
        data=f"results/data/{CLAIM_MAP.settings.dataset}.npz",
    output:
        "results/claim_map/passive/{passive}.csv",
    params:
        dataset=toy_params(CLAIM_MAP.settings.dataset),
        sde=lambda wc: CLAIM_MAP.passive_params(wc.passive),
        conditions=CLAIM_MAP.condition_rows(),
        metrics=config["metrics"],
        seed=derive_seed(config["seed"], "claim_map"),
        metrics_seed=derive_seed(config["seed"], "metrics"),
        batch_size=CLAIM_MAP.settings.batch_size,
    wildcard_constraints:
        passive="|".join(map(re.escape, CLAIM_MAP.passive)),
    log:
        "logs/claim_map_passive/{passive}.log",
    benchmark:
        "results/benchmarks/claim_map_passive/{passive}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/claim_map_passive.py"


rule claim_map_variant:
    input:
        data=f"results/data/{CLAIM_MAP.settings.dataset}.npz",
        paper=lambda wc: f"results/claim_map/passive/{CLAIM_MAP.passive_tag(wc.variant, 'paper')}.csv",
        temperature_matched=lambda wc: (
            f"results/claim_map/passive/{CLAIM_MAP.passive_tag(wc.variant, 'temperature_matched')}.csv"
        ),
    output:
        "results/claim_map/{variant}.csv",
    params:
        dataset=toy_params(CLAIM_MAP.settings.dataset),
        sde=lambda wc: CLAIM_MAP.active_params(wc.variant),
        temperatures=lambda wc: CLAIM_MAP.temperatures(wc.variant),
        conditions=CLAIM_MAP.condition_rows(),
        metrics=config["metrics"],
        seed=derive_seed(config["seed"], "claim_map"),
        metrics_seed=derive_seed(config["seed"], "metrics"),
        batch_size=CLAIM_MAP.settings.batch_size,
    wildcard_constraints:
        variant="|".join(map(re.escape, CLAIM_MAP.variants)),
    log:
        "logs/claim_map_variant/{variant}.log",
    benchmark:
        "results/benchmarks/claim_map_variant/{variant}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/claim_map_variant.py"


rule claim_map_table:
    input:
        expand("results/claim_map/{variant}.csv", variant=CLAIM_MAP.variants),
    output:
        report(
            "results/metrics/claim_map.csv",
            caption="../report/claim_map_table.rst",
            category="Claims",
            labels={"table": "claim map"},
        ),
    log:
        "logs/claim_map_table/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/claim_map_table.py"


rule claim_map_figure:
    input:
        "results/metrics/claim_map.csv",
    output:
        report(
            "results/figures/claim_map.png",
            caption="../report/claim_map.rst",
            category="Claims",
            labels={"figure": "claim_map"},
        ),
    params:
        alpha=CLAIM_MAP.settings.alpha,
    log:
        "logs/claim_map_figure/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/claim_map_figure.py"
