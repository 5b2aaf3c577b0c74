# Learned-score stage: sampling trained models with Euler-Maruyama over the dt grid, the adaptive
# probability-flow ODE and the splitting samplers (SSCS for CLD, its analogue for the active
# process); metrics over training seeds; Fig 2b, 3b, A2, A3, A4 and the sampler comparison.


rule learned_sample:
    input:
        models=learned_model_inputs,
    output:
        "results/samples/{dataset}/{sde}/learned/seed{seed}.npz",
    params:
        plan=lambda wc: learned_plan(wc.dataset, wc.sde),
        iters=lambda wc: learned_model_iterations(wc.dataset, wc.sde),
        n_samples=config["learned"]["n_samples"],
        sampling=config["learned"]["sampling"],
        dataset=lambda wc: toy_params(wc.dataset),  # its mixture (or a Gaussian fit) for the EM stability check
        reference_seed=lambda wc: derive_seed(config["seed"], "stability_reference", wc.dataset),
        seed=lambda wc: derive_seed(config["seed"], "learned_sample", wc.dataset, wc.sde, wc.seed),
        model=lambda wc: model_identity(wc.dataset, wc.sde, wc.seed),
    wildcard_constraints:
        seed=r"\d+",
    log:
        "logs/learned_sample/{dataset}_{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/learned_sample/{dataset}_{sde}_seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/learned_sample.py"


rule learned_metrics:
    input:
        data="results/data/{dataset}.npz",
        samples="results/samples/{dataset}/{sde}/learned/seed{seed}.npz",
    output:
        "results/metrics/learned/{dataset}/{sde}/seed{seed}.csv",
    params:
        metrics=config["metrics"],
        seed=lambda wc: derive_seed(config["seed"], "metrics"),
    wildcard_constraints:
        seed=r"\d+",
    log:
        "logs/learned_metrics/{dataset}_{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/learned_metrics/{dataset}_{sde}_seed{seed}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/learned_metrics.py"


rule learned_tables:
    input:
        rows=learned_metric_files(),
        reference=expand("results/metrics/reference/{dataset}.csv", dataset=learned_datasets()),
        exact="results/metrics/analytic_em.csv",
    output:
        raw=report(
            "results/metrics/learned_by_seed.csv",
            caption="../report/learned_by_seed.rst",
            category="Learned score",
            labels={"table": "metrics per training seed"},
        ),
        summary=report(
            "results/metrics/learned.csv",
            caption="../report/learned_table.rst",
            category="Learned score",
            labels={"table": "metrics over training seeds"},
        ),
        gap=report(
            "results/metrics/learned_vs_exact.csv",
            caption="../report/learned_vs_exact.rst",
            category="Learned score",
            labels={"table": "learned vs exact score"},
        ),
        reference=report(
            "results/metrics/learned_reference.csv",
            caption="../report/data_reference.rst",
            category="Learned score",
            labels={"table": "data-vs-data floor"},
        ),
    log:
        "logs/learned_tables/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/learned_tables.py"


rule fig_learned_scatter:
    input:
        data=lambda wc: f"results/data/{LEARNED_SCATTER[wc.fig][0]}.npz",
        samples=lambda wc: expand(
            "results/samples/{dataset}/{sde}/learned/seed{seed}.npz",
            dataset=LEARNED_SCATTER[wc.fig][0],
            sde=LEARNED_SCATTER[wc.fig][1],
            seed=training_seeds()[0],
        ),
    output:
        report(
            "results/figures/{fig}.png",
            caption="../report/learned_scatter.rst",
            category="Learned score",
            labels=lambda wc: {"figure": wc.fig, "dataset": LEARNED_SCATTER[wc.fig][0]},
        ),
    params:
        dataset=lambda wc: LEARNED_SCATTER[wc.fig][0],
        sdes=lambda wc: LEARNED_SCATTER[wc.fig][1],
        iters=lambda wc: final_iteration(LEARNED_SCATTER[wc.fig][0]),
        sampling=config["learned"]["sampling"],
        beta=config["processes"]["beta"],
    wildcard_constraints:
        fig="|".join(LEARNED_SCATTER) or "none",
    log:
        "logs/fig_learned_scatter/{fig}.log",
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_learned_scatter.py"


rule fig_learned_iterations:
    input:
        data=expand("results/data/{dataset}.npz", dataset=config["learned"]["iteration_datasets"]),
        samples=expand(
            "results/samples/{dataset}/{sde}/learned/seed{seed}.npz",
            dataset=config["learned"]["iteration_datasets"],
            sde=config["learned"]["sdes"],
            seed=training_seeds()[0],
        ),
    output:
        report(
            "results/figures/figA4.png",
            caption="../report/learned_iterations.rst",
            category="Learned score",
            labels={"figure": "figA4"},
        ),
    params:
        datasets=config["learned"]["iteration_datasets"],
        sdes=config["learned"]["sdes"],
        # (dataset, process) of each samples input, in expand's order (dataset outer)
        panels=[[ds, sde] for ds in config["learned"]["iteration_datasets"] for sde in config["learned"]["sdes"]],
        iterations=iteration_figure_checkpoints(),
        dt=config["learned"]["iteration_dt_physical"],
        sampling=config["learned"]["sampling"],
    log:
        "logs/fig_learned_iterations/all.log",
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_learned_iterations.py"


rule fig_learned_metrics:
    input:
        summary="results/metrics/learned.csv",
        reference=report(
            "results/metrics/learned_reference.csv",
            caption="../report/data_reference.rst",
            category="Learned score",
            labels={"table": "data-vs-data floor"},
        ),
    output:
        em=report(
            "results/figures/fig2b_metrics.png",
            caption="../report/learned_metrics.rst",
            category="Learned score",
            labels={"figure": "fig2b_metrics"},
        ),
        samplers=report(
            "results/figures/sampler_comparison.png",
            caption="../report/sampler_comparison.rst",
            category="Learned score",
            labels={"figure": "sampler_comparison"},
        ),
    log:
        "logs/fig_learned_metrics/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fig_learned_metrics.py"


rule fidelity_learned:
    input:
        swissroll="results/metrics/swissroll.csv",
        summary="results/metrics/learned.csv",
        exact="results/metrics/analytic_em.csv",
        floor="results/metrics/learned_reference.csv",
    output:
        "results/fidelity/learned.csv",
    params:
        claims=config["claims"],
        active=sde_params("active"),
        passive=sde_params("passive"),
        # the training recipe that decides the learned rows (EMA warm-up; eta0 is in active)
        training=f"EMA {config['training']['ema']} warm-up {config['training']['ema_warmup']}, "
        f"{final_iteration(config['learned']['em_datasets'][0]) if config['learned']['em_datasets'] else 0} "
        f"iterations, {len(training_seeds())} seeds",
    log:
        "logs/fidelity_learned/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/fidelity_learned.py"


rule swissroll_measures:
    input:
        data=lambda wc: [f"results/data/{ds}.npz" for ds, _, _ in swissroll_sample_keys()],
        samples=lambda wc: [f"results/samples/{ds}/{sde}/learned/seed{seed}.npz" for ds, sde, seed in swissroll_sample_keys()],
    output:
        by_seed=report(
            "results/metrics/swissroll_by_seed.csv",
            caption="../report/swissroll_measures.rst",
            category="Learned score",
            labels={"table": "Swiss-roll measures per seed"},
        ),
        summary=report(
            "results/metrics/swissroll.csv",
            caption="../report/swissroll_measures.rst",
            category="Learned score",
            labels={"table": "Swiss-roll positions and spirals"},
        ),
    params:
        sample_keys=swissroll_sample_keys(),  # (dataset, process, seed) of each samples input, in order
        datasets={ds: toy_params(ds) for ds, _, _ in swissroll_sample_keys()},
    log:
        "logs/swissroll_measures/all.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/swissroll_measures.py"
