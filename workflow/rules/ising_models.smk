# Score models on Ising lattices (issue 4; docs/theory.md 2.5, 2.6, 5): one training job per
# (temperature, process, seed) writes every checkpoint of ising_models.training.checkpoints; one
# sampling job per model samples every checkpoint with the adaptive probability-flow ODE, discretises
# and computes the observables; then the summary over seeds, the claims, Fig 4 and Fig A7.
# Every job that reads lattices lists validation.json too (common_ising.smk: ising_validated_lattices).

# results/models/ising_T2/... also matches train_mlp's {dataset} pattern.
ruleorder: train_ising > train_mlp


rule train_ising:
    input:
        unpack(lambda wc: ising_validated_lattices(wc.T)),
    output:
        checkpoints=expand(
            "results/models/ising_T{{T}}/{{sde}}/seed{{seed}}/ckpt_{iters}.pt",
            iters=ising_checkpoint_iterations(),
        ),
        log_csv="results/models/ising_T{T}/{sde}/seed{seed}/train_log.csv",
    params:
        T=lambda wc: float(wc.T),
        L=config["ising"]["L"],
        training=lambda wc: ising_training_params(wc.sde),
        sde=lambda wc: sde_params(wc.sde),
        n_train=config["ising_models"]["n_train"],
        seed=lambda wc: ising_training_seed(wc.T, wc.seed),
        device=config["device"],
        state_dir=lambda wc: f"results/models/ising_T{wc.T}/{wc.sde}/seed{wc.seed}/resume",
    wildcard_constraints:
        seed=r"\d+",
    priority: PRIORITY_LONG_JOBS
    log:
        "logs/train_ising/T{T}_{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/train_ising/T{T}_{sde}_seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc: 2000 + 2 * ising_data_bytes() // 10**6,
        runtime=lambda wc, attempt: attempt * ising_training_minutes(),
        gpu=1 if config["device"] == "cuda" else 0,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/ising_model_train.py"


rule sample_ising:
    input:
        checkpoints=rules.train_ising.output.checkpoints,
    output:
        samples="results/samples/ising_T{T}/{sde}/seed{seed}.npz",
        observables="results/metrics/ising/T{T}/{sde}/seed{seed}.csv",
    params:
        iters=ising_checkpoint_iterations(),
        n_samples=config["ising_models"]["n_samples"],
        sampling=config["ising_models"]["sampling"],
        cutoff=config["ising_models"]["cutoff"],
        seed=lambda wc: derive_seed(config["seed"], "ising_sample", wc.T, wc.sde, int(wc.seed)),
        model=lambda wc: ising_model_identity(wc.T, wc.sde, wc.seed),
        device=config["device"],
    wildcard_constraints:
        seed=r"\d+",
    priority: PRIORITY_LONG_JOBS
    log:
        "logs/sample_ising/T{T}_{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/sample_ising/T{T}_{sde}_seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=lambda wc, attempt: attempt * ising_sampling_minutes(),
        gpu=1 if config["device"] == "cuda" else 0,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/ising_model_sample.py"


rule ising_model_summary:
    input:
        unpack(ising_summary_inputs),
    output:
        per_seed="results/metrics/ising/by_seed.csv",
        distances=report(
            "results/metrics/ising_distances.csv",
            caption="../report/ising_model_distances.rst",
            category="Ising",
            labels={"table": "M(n) distance to the data per seed"},
        ),
        summary=report(
            "results/metrics/ising.csv",
            caption="../report/ising_model_table.rst",
            category="Ising",
            labels={"table": "lattice observables over training seeds"},
        ),
    params:
        temperatures=[float(T) for T in ising_model_temperatures()],  # of the lattices inputs, in order
    log:
        "logs/ising_model_summary/all.log",
    resources:
        mem_mb=lambda wc: 1000 + 20 * ising_data_bytes() // 10**6,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/ising_model_summary.py"


rule fidelity_ising:
    input:
        distances="results/metrics/ising_distances.csv",
    output:
        "results/fidelity/ising.csv",
    params:
        sdes=config["ising_models"]["sdes"],
        claims=config["claims"],
    log:
        "logs/fidelity_ising/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/ising_model_fidelity.py"


rule ising_model_figures:
    input:
        summary="results/metrics/ising.csv",
        distances="results/metrics/ising_distances.csv",
    output:
        fig4=report(
            "results/figures/fig4.png",
            caption="../report/ising_model_fig4.rst",
            category="Ising",
            labels={"figure": "fig4", "content": "M(n), data vs models at the first checkpoint"},
        ),
        figA7=report(
            "results/figures/figA7.png",
            caption="../report/ising_model_figA7.rst",
            category="Ising",
            labels={"figure": "figA7", "content": "M(n) over training iterations"},
        ),
        observables=report(
            "results/figures/ising_model_observables.png",
            caption="../report/ising_model_observables.rst",
            category="Ising",
            labels={"figure": "ising_model_observables", "content": "E/N and |m| histograms, C(r), distance to data"},
        ),
    log:
        "logs/ising_model_figures/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/ising_model_figures.py"
