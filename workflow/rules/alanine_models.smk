# Score models on the alanine-dipeptide dihedrals (issue 5 item 5; paper Fig 3a). The chart of
# (phi, psi) is fixed once from the data (results/alanine/chart.json; activediff.alanine.models);
# the passive, active and CLD MLPs are trained by train_mlp (train_extended) as dataset `alanine`
# (config section `training`: the toys' seeds and settings; its schedule is training.extended
# when `alanine` is listed there, as in the default config); one sampling job per model runs the
# adaptive probability-flow ODE, wraps the samples into [-180, 180) and counts the basins; then
# the table over seeds, the claims and Fig 3a.

# Seconds of work each: on SLURM they run in the Snakemake process, not as jobs.
localrules:
    alanine_chart,
    alanine_model_basins,
    alanine_separation,
    fidelity_alanine,
    fig3a,
    fig3a_separation,


rule alanine_chart:
    input:
        "results/alanine/dihedrals.npz",
    output:
        ALANINE_CHART,
    params:
        chart=config["alanine"]["models"]["chart"],
        seam_bin_deg=config["alanine"]["models"]["seam_bin_deg"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_chart/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/alanine_chart.py"


rule sample_alanine:
    input:
        checkpoint=f"results/models/{ALANINE_DATASET}/{{sde}}/seed{{seed}}/ckpt_{final_iteration(ALANINE_DATASET)}.pt",
        chart=ALANINE_CHART,
    output:
        samples="results/samples/alanine/{sde}/seed{seed}.npz",
        basins="results/metrics/alanine/{sde}/seed{seed}.csv",
    params:
        n_samples=config["alanine"]["models"]["n_samples"],
        sampling=config["alanine"]["models"]["sampling"],
        seed=lambda wc: alanine_model_sampling_seed(wc.sde, wc.seed),
        model=lambda wc: dict(model_identity(ALANINE_DATASET, wc.sde, wc.seed), iteration=final_iteration(ALANINE_DATASET)),
        n_bootstrap=config["alanine"]["bootstrap_samples"],
        bootstrap_seed=lambda wc: derive_seed(config["seed"], "alanine", "basins", wc.sde, int(wc.seed)),
        device=config["device"],
    wildcard_constraints:
        seed=r"\d+",
    log:
        "logs/sample_alanine/{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/sample_alanine/{sde}_seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        # minutes: ~200 score evaluations per sample, ~10,000 samples a minute on one CPU thread
        runtime=lambda wc, attempt: attempt * (10 + config["alanine"]["models"]["n_samples"] // 2000),
        gpu=1 if config["device"] == "cuda" else 0,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/alanine_model_sample.py"


rule alanine_model_basins:
    input:
        data="results/alanine/basins_data.csv",
        models=alanine_model_files("basins"),
    output:
        by_seed="results/metrics/alanine/by_seed.csv",
        summary=report(
            "results/metrics/alanine_basins.csv",
            caption="../report/alanine_basins.rst",
            category="Alanine dipeptide",
            labels={"table": "basin populations, data vs models"},
        ),
    log:
        "logs/alanine_model_basins/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/alanine_model_basins.py"


rule alanine_separation:
    input:
        dihedrals="results/alanine/dihedrals.npz",
        samples=alanine_model_files("samples"),
    output:
        by_seed="results/metrics/alanine/separation_by_seed.csv",
        summary=report(
            "results/metrics/alanine_separation.csv",
            caption="../report/alanine_separation.rst",
            category="Alanine dipeptide",
            labels={"table": "beta/P_II dip contrast, data vs models"},
        ),
    params:
        models=[(sde, seed) for sde in config["alanine"]["models"]["sdes"] for seed in training_seeds()],
        sdes=config["alanine"]["models"]["sdes"],
        bin_deg=config["alanine"]["models"]["dip_bin_deg"],
        block_ps=config["alanine"]["bootstrap_block_ps"],
        n_bootstrap=config["alanine"]["bootstrap_samples"],
        seed=derive_seed(config["seed"], "alanine", "separation", "data"),
    log:
        "logs/alanine_separation/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/alanine_separation.py"


rule fidelity_alanine:
    input:
        data="results/alanine/basins_data.csv",
        by_seed="results/metrics/alanine/by_seed.csv",
        separation="results/metrics/alanine/separation_by_seed.csv",
        separation_summary="results/metrics/alanine_separation.csv",
    output:
        "results/fidelity/alanine.csv",
    params:
        sdes=config["alanine"]["models"]["sdes"],
        claims=config["claims"],
    log:
        "logs/fidelity_alanine/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/alanine_model_fidelity.py"


rule fig3a:
    input:
        dihedrals="results/alanine/dihedrals.npz",
        basins="results/metrics/alanine_basins.csv",
        samples=alanine_model_files("samples"),
    output:
        report(
            "results/figures/fig3a.png",
            caption="../report/fig3a.rst",
            category="Alanine dipeptide",
            labels={"figure": "fig3a", "content": "Ramachandran plots, data vs passive, active, CLD"},
        ),
    params:
        samples={sde: alanine_model_files("samples", [sde]) for sde in config["alanine"]["models"]["sdes"]},
    log:
        "logs/fig3a/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/alanine_fig3a.py"


rule fig3a_separation:
    input:
        dihedrals="results/alanine/dihedrals.npz",
        summary="results/metrics/alanine_separation.csv",
        samples=alanine_model_files("samples"),
    output:
        report(
            "results/figures/fig3a_separation.png",
            caption="../report/fig3a_separation.rst",
            category="Alanine dipeptide",
            labels={"figure": "fig3a_separation", "content": "beta/P_II dip along phi, data vs models"},
        ),
    params:
        samples={sde: alanine_model_files("samples", [sde]) for sde in config["alanine"]["models"]["sdes"]},
        bin_deg=config["alanine"]["models"]["dip_bin_deg"],
    log:
        "logs/fig3a_separation/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/alanine_fig3a_separation.py"
