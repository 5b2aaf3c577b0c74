# Analytic-score stage: reverse diffusion with the exact mixture score (Fig 2a, A1), Fourier-mode
# decay (Fig A6) and speciation times (Fig A8).


rule toy_data:
    output:
        "results/data/{dataset}.npz",
    params:
        dataset=lambda wc: toy_params(wc.dataset),
        n=lambda wc: toy_data_size(),
        seed=lambda wc: derive_seed(config["seed"], "data", wc.dataset),
    log:
        "logs/toy_data/{dataset}.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/toy_data.py"


rule analytic_sample:
    output:
        "results/samples/{dataset}/{sde}/exact_em/dt{dt}.npz",
    params:
        dataset=lambda wc: toy_params(wc.dataset),
        sde=lambda wc: sde_params(wc.sde),
        dt_phys=lambda wc: float(wc.dt),  # the path's step size is physical (B = beta t)
        n_samples=config["analytic"]["n_samples"],
        sampling=config["analytic"]["sampling"],
        seed=lambda wc: derive_seed(config["seed"], "analytic_sample", wc.dataset),
    log:
        "logs/analytic_sample/{dataset}_{sde}_dt{dt}.log",
    benchmark:
        "results/benchmarks/analytic_sample/{dataset}_{sde}_dt{dt}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/analytic_sample.py"


rule sample_metrics:
    input:
        data="results/data/{dataset}.npz",
        samples="results/samples/{dataset}/{sde}/{sampler}/{run}.npz",
    output:
        "results/metrics/samples/{dataset}/{sde}/{sampler}/{run}.csv",
    params:
        metrics=config["metrics"],
        seed=lambda wc: derive_seed(config["seed"], "metrics"),
    log:
        "logs/sample_metrics/{dataset}_{sde}_{sampler}_{run}.log",
    benchmark:
        "results/benchmarks/sample_metrics/{dataset}_{sde}_{sampler}_{run}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/sample_metrics.py"


rule data_reference_metrics:
    output:
        "results/metrics/reference/{dataset}.csv",
    params:
        dataset=lambda wc: toy_params(wc.dataset),
        n=lambda wc: toy_data_size(),
        seeds=lambda wc: [derive_seed(config["seed"], "reference", wc.dataset, draw) for draw in ("first", "second")],
        metrics=config["metrics"],
        metrics_seed=lambda wc: derive_seed(config["seed"], "metrics"),
    log:
        "logs/data_reference_metrics/{dataset}.log",
    benchmark:
        "results/benchmarks/data_reference_metrics/{dataset}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/data_reference_metrics.py"


rule analytic_metrics_table:
    input:
        rows=analytic_metric_rows(),
        reference=expand("results/metrics/reference/{dataset}.csv", dataset=config["analytic"]["datasets"]),
    output:
        table=report(
            "results/metrics/analytic_em.csv",
            caption="../report/analytic_table.rst",
            category="Analytic score",
            labels={"table": "exact-score metrics"},
        ),
        reference=report(
            "results/metrics/data_reference.csv",
            caption="../report/data_reference.rst",
            category="Analytic score",
            labels={"table": "data-vs-data floor"},
        ),
    log:
        "logs/analytic_metrics_table/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/collect_metrics.py"


rule fig_analytic_scatter:
    input:
        data=lambda wc: f"results/data/{SCATTER_FIGURES[wc.fig]}.npz",
        samples=lambda wc: analytic_samples(SCATTER_FIGURES[wc.fig]),
    output:
        report(
            "results/figures/{fig}.png",
            caption="../report/analytic_scatter.rst",
            category="Analytic score",
            labels=lambda wc: {"figure": wc.fig, "dataset": SCATTER_FIGURES[wc.fig]},
        ),
    params:
        dataset=lambda wc: SCATTER_FIGURES[wc.fig],
        sdes=config["analytic"]["sdes"],
        dts=[float(dt) for dt in config["analytic"]["dt_physical"]],
        beta=config["processes"]["beta"],
        # the process of each samples input, in analytic_samples' order (process outer)
        sample_sdes=[sde for sde in config["analytic"]["sdes"] for _ in config["analytic"]["dt_physical"]],
    wildcard_constraints:
        fig="|".join(SCATTER_FIGURES) or "none",
    log:
        "logs/fig_analytic_scatter/{fig}.log",
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_analytic_scatter.py"


rule fig_analytic_metrics:
    input:
        table="results/metrics/analytic_em.csv",
        reference="results/metrics/data_reference.csv",
    output:
        report(
            "results/figures/fig2a_metrics.png",
            caption="../report/analytic_metrics.rst",
            category="Analytic score",
            labels={"figure": "fig2a_metrics"},
        ),
    log:
        "logs/fig_analytic_metrics/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_analytic_metrics.py"


rule fourier_modes:
    output:
        closed="results/analysis/fourier_closed_form.csv",
        empirical="results/analysis/fourier_empirical.csv",
    params:
        processes=fourier_processes(),
        fourier=config["fourier"],
        seed=derive_seed(config["seed"], "fourier"),
    log:
        "logs/fourier_modes/all.log",
    benchmark:
        "results/benchmarks/fourier_modes/all.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/fourier_modes.py"


rule fig_fourier:
    input:
        closed="results/analysis/fourier_closed_form.csv",
        empirical="results/analysis/fourier_empirical.csv",
    output:
        report(
            "results/figures/figA6.png",
            caption="../report/fourier.rst",
            category="Analytic score",
            labels={"figure": "figA6"},
        ),
    log:
        "logs/fig_fourier/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_fourier.py"


rule speciation_simulation:
    output:
        curves="results/analysis/speciation/{sde}_clones.csv",
        times="results/analysis/speciation/{sde}_times.csv",
    params:
        sde=lambda wc: sde_params(wc.sde),
        speciation=config["speciation"],
        seed=lambda wc: derive_seed(config["seed"], "speciation", wc.sde),
    log:
        "logs/speciation_simulation/{sde}.log",
    benchmark:
        "results/benchmarks/speciation_simulation/{sde}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/speciation_simulation.py"


rule fig_speciation:
    input:
        curves=expand("results/analysis/speciation/{sde}_clones.csv", sde=config["analytic"]["sdes"]),
        times=expand("results/analysis/speciation/{sde}_times.csv", sde=config["analytic"]["sdes"]),
    output:
        criterion="results/analysis/speciation_criterion.csv",
        markers="results/analysis/speciation_datasets.csv",
        figure=report(
            "results/figures/figA8.png",
            caption="../report/speciation.rst",
            category="Analytic score",
            labels={"figure": "figA8"},
        ),
    params:
        sdes={name: sde_params(name) for name in config["analytic"]["sdes"]},
        datasets={name: toy_params(name) for name in config["speciation"]["datasets"]},
        seed=derive_seed(config["seed"], "speciation_markers"),
    log:
        "logs/fig_speciation/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_speciation.py"


rule fidelity_analytic:
    input:
        table="results/metrics/analytic_em.csv",
        floor="results/metrics/data_reference.csv",
        markers="results/analysis/speciation_datasets.csv",
        times=expand("results/analysis/speciation/{sde}_times.csv", sde=config["analytic"]["sdes"]),
        fourier="results/analysis/fourier_empirical.csv",
    output:
        "results/fidelity/analytic.csv",
    params:
        claims=config["claims"],
        passive=sde_params("passive"),
        active=sde_params("active"),
        n_trajectories=config["speciation"]["n_trajectories"],
    log:
        "logs/fidelity_analytic/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fidelity_analytic.py"


rule fidelity:
    input:
        fidelity_parts(),
    output:
        report(
            "results/fidelity.csv",
            caption="../report/fidelity.rst",
            category="Claims",
        ),
    log:
        "logs/fidelity/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fidelity.py"


rule fidelity_claim_map:
    input:
        "results/metrics/claim_map.csv",
    output:
        "results/fidelity/claim_map.csv",
    params:
        claims=config["claims"],
        n_replicates=config["metrics"]["n_chunks"],
    log:
        "logs/fidelity_claim_map/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fidelity_claim_map.py"


rule parameter_sources:
    output:
        report(
            "results/claims/parameter_sources.csv",
            caption="../report/parameter_sources.rst",
            category="Claims",
            labels={"table": "parameter sources"},
        ),
    params:
        config=config,
    log:
        "logs/parameter_sources/all.log",
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/parameter_sources.py"
