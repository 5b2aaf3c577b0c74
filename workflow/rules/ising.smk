# Ising stage (docs/theory.md 5, 8): Metropolis lattices per temperature, their check against the
# exact finite-lattice energy, and a data figure. Any rule that uses the lattices must also list
# validation.json as an input (common_ising.smk: ising_validated_lattices), so that nothing trains on
# data that failed the check.


rule ising_data:
    output:
        "results/ising/T{T}/lattices.npz",
    params:
        L=config["ising"]["L"],
        T=lambda wc: float(wc.T),
        n_samples=config["ising"]["n_samples"],
        method=config["ising"]["method"],
        options=lambda wc: (
            {"paper_flips": config["ising"]["paper_flips"], "init": config["ising"]["init"]}
            if config["ising"]["method"] == "paper"
            else {
                key: config["ising"][key]
                for key in ("chains", "burn_in_sweeps", "thinning_sweeps", "init")
            }
        ),
        device=config["ising"]["device"],
        seed=lambda wc: derive_seed(
            config["seed"], "ising", config["ising"]["seed_offset"], wc.T
        ),
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/ising_data/T{T}.log",
    benchmark:
        "results/benchmarks/ising_data/T{T}.tsv"
    threads: config["ising"]["threads"]
    resources:
        mem_mb=lambda wc: 1000 + 4 * ising_data_bytes() // 10**6,
        runtime=lambda wc: 10
        + (
            ising_data_bytes() // config["ising"]["L"] ** 2 * config["ising"]["paper_flips"]
            // (60 * 10**7)
            if config["ising"]["method"] == "paper"
            else 0
        ),
        gpu=1 if config["ising"]["device"] == "cuda" else 0,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/ising_data.py"


rule ising_validation:
    input:
        "results/ising/T{T}/lattices.npz",
    output:
        "results/ising/T{T}/validation.json",
    params:
        L=config["ising"]["L"],
        T=lambda wc: float(wc.T),
        sigma=config["ising"]["validation_sigma"],
        on_failure=config["ising"]["on_validation_failure"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/ising_validation/T{T}.log",
    benchmark:
        "results/benchmarks/ising_validation/T{T}.tsv"
    resources:
        mem_mb=lambda wc: 1000 + 40 * ising_data_bytes() // 10**6,
        runtime=10,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/ising_validation.py"


rule ising_data_figure:
    input:
        validations=lambda wc: [
            ising_validated_lattices(T)["validation"]
            for T in config["ising"]["temperatures"]
        ],
    output:
        report(
            "results/figures/ising_data.png",
            caption="../report/ising_data.rst",
            category="Ising",
            labels={"figure": "ising_data", "content": "energy histograms, M(n)"},
        ),
    log:
        "logs/ising_data_figure/all.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/ising_data_figure.py"
