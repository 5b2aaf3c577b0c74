# Training of the MLP score models (docs/theory.md 1-3, 2.6) on the toy sets and the alanine
# dihedrals: one job per (dataset, process, seed) trains one network and writes every checkpoint
# of config training.checkpoints plus its log. Checkpoint outputs are listed in increasing
# iteration order, the order of the run's TrainSettings.checkpoints (the script pairs the two).
# Dataset `alanine` (the (phi, psi) models of workflow/rules/alanine_models.smk) trains the same
# way on the dihedral frames, which it reads as inputs (common_alanine.smk: training_inputs).
# Datasets listed in training.extended train on that longer schedule (rule train_extended: the
# same rule with its own checkpoint list, since a rule's output list cannot depend on a wildcard).
# A killed job resumes, when rerun, from results/models/{dataset}/{sde}/seed{seed}/resume/ (not an
# output, so Snakemake keeps it); the trainer deletes that folder when the run completes.


rule train_mlp:
    input:
        unpack(training_inputs),
    output:
        checkpoints=expand(
            "results/models/{{dataset}}/{{sde}}/seed{{seed}}/ckpt_{iters}.pt",
            iters=checkpoint_iterations(),
        ),
        log_csv="results/models/{dataset}/{sde}/seed{seed}/train_log.csv",
    params:
        training=lambda wc: training_params(wc.dataset),
        sde=lambda wc: sde_params(wc.sde),
        dataset=lambda wc: training_dataset(wc.dataset),
        seed=lambda wc: training_seed(wc.dataset, wc.seed),
        device=config["device"],
        state_dir=lambda wc: f"results/models/{wc.dataset}/{wc.sde}/seed{wc.seed}/resume",
    wildcard_constraints:
        dataset=dataset_exclusion(extended_datasets()),
        seed=r"\d+",
    log:
        "logs/train_mlp/{dataset}_{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/train_mlp/{dataset}_{sde}_seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        # minutes: CPU speed of the 4x128 MLP at batch 512 is >= 100 iterations/s per thread
        runtime=lambda wc, attempt: training_minutes(wc.dataset, attempt),
        gpu=1 if config["device"] == "cuda" else 0,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/train_model.py"


use rule train_mlp as train_extended with:
    output:
        checkpoints=expand(
            "results/models/{{dataset}}/{{sde}}/seed{{seed}}/ckpt_{iters}.pt",
            iters=sorted(config["training"]["extended"]["checkpoints"]),
        ),
        log_csv="results/models/{dataset}/{sde}/seed{seed}/train_log.csv",
    wildcard_constraints:
        dataset=dataset_choice(extended_datasets()),
        seed=r"\d+",
    priority: PRIORITY_LONG_JOBS
    log:
        "logs/train_extended/{dataset}_{sde}_seed{seed}.log",
    benchmark:
        "results/benchmarks/train_extended/{dataset}_{sde}_seed{seed}.tsv"
