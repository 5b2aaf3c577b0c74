# Companion analyses on the pipeline's models (docs/theory.md 7.1, 7.2): GFDT response functions from
# the exact and the learned passive score, and entropy production along generation for passive,
# active (eta channel) and CLD (v channel), from the exact GMM score and the final checkpoints of
# the training seeds listed under diagnostics.seeds.


rule diagnostics_response:
    input:
        models=lambda wc: diagnostics_checkpoints("passive"),
    output:
        curves="results/diagnostics/response_curves.csv",
        errors=report(
            "results/metrics/response.csv",
            caption="../report/diagnostics_response_table.rst",
            category="Diagnostics",
            labels={"table": "GFDT response errors"},
        ),
    params:
        dataset=lambda wc: toy_params(config["diagnostics"]["dataset"]),
        passive=sde_params("passive"),
        active=sde_params("active"),
        response=config["diagnostics"]["response"],
        score_time=config["learned"]["sampling"]["eps"],  # the learned passive score at the sampling eps
        seeds=config["diagnostics"]["seeds"],
        models=diagnostics_identities("passive"),
        seed=derive_seed(config["seed"], "diagnostics", "response"),
    log:
        log_path("diagnostics_response"),
    benchmark:
        bench_path("diagnostics_response")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/diagnostics_response.py"


rule diagnostics_entropy:
    input:
        models=lambda wc: diagnostics_checkpoints(wc.sde),
    output:
        "results/diagnostics/entropy_production/{sde}.csv",
    params:
        dataset_name=config["diagnostics"]["dataset"],
        dataset=lambda wc: toy_params(config["diagnostics"]["dataset"]),
        sde=lambda wc: sde_params(wc.sde),
        entropy=config["diagnostics"]["entropy"],
        seeds=config["diagnostics"]["seeds"],
        models=lambda wc: diagnostics_identities(wc.sde),
        seed=lambda wc: derive_seed(config["seed"], "diagnostics", "entropy", wc.sde),
    log:
        "logs/diagnostics_entropy/{sde}.log",
    benchmark:
        "results/benchmarks/diagnostics_entropy/{sde}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/diagnostics_entropy.py"


rule fig_response:
    input:
        curves="results/diagnostics/response_curves.csv",
        errors="results/metrics/response.csv",
    output:
        figure=report(
            "results/figures/figD1_response.png",
            caption="../report/diagnostics_response.rst",
            category="Diagnostics",
            labels={"figure": "D1 response"},
        ),
        pdf="results/figures/figD1_response.pdf",
    log:
        log_path("fig_response"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/diagnostics_figures.py"


rule fig_entropy_production:
    input:
        parts=expand(
            "results/diagnostics/entropy_production/{sde}.csv",
            sde=config["diagnostics"]["sdes"],
        ),
    output:
        table=report(
            "results/metrics/entropy_production.csv",
            caption="../report/diagnostics_entropy_table.rst",
            category="Diagnostics",
            labels={"table": "entropy production"},
        ),
        figure=report(
            "results/figures/figD2_entropy_production.png",
            caption="../report/diagnostics_entropy.rst",
            category="Diagnostics",
            labels={"figure": "D2 entropy production"},
        ),
        pdf="results/figures/figD2_entropy_production.pdf",
    log:
        log_path("fig_entropy_production"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/diagnostics_figures.py"


rule score_variation:
    output:
        curves="results/diagnostics/score_variation.csv",
        summary=report(
            "results/metrics/score_variation.csv",
            caption="../report/score_variation.rst",
            category="Diagnostics",
            labels={"table": "score variation along t"},
        ),
    params:
        dataset_name=config["diagnostics"]["dataset"],
        dataset=lambda wc: toy_params(config["diagnostics"]["dataset"]),
        passive=sde_params("passive"),
        active=sde_params("active"),
        cld=sde_params("cld"),
        times=config["diagnostics"]["score_variation"],
        seed=derive_seed(config["seed"], "diagnostics", "score_variation"),
    log:
        log_path("score_variation"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/score_variation.py"


rule fidelity_diagnostics:
    input:
        entropy="results/metrics/entropy_production.csv",
        variation="results/metrics/score_variation.csv",
    output:
        "results/fidelity/diagnostics.csv",
    params:
        claims=config["claims"],
        n_entropy=config["diagnostics"]["entropy"]["n_samples"],
        n_variation=config["diagnostics"]["score_variation"]["n_samples"],
    log:
        log_path("fidelity_diagnostics"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fidelity_diagnostics.py"
