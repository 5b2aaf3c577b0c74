# Training of the MLP score models (docs/theory.md 1-3, 2.6) on the toy sets and the alanine
# dihedrals: one job per (dataset, process) trains the models of every seed of training.seeds
# at once, as one batched network (activediff.training.ensemble: member k is the single-model run
# of seed k to float32 round-off), and writes every checkpoint of config training.checkpoints plus
# a log per seed. Checkpoint outputs are listed seed by seed, each seed's in increasing iteration
# order, the order of params.seeds and of the run's TrainSettings.checkpoints (the script pairs
# them). Changing the seed list (training.seeds) retrains the whole bundle of every (dataset,
# process), the seeds that were already trained included: their outputs belong to that one job.
# Dataset `alanine` (the (phi, psi) models of workflow/rules/alanine_models.smk) trains the same
# way on the dihedral frames, which it reads as inputs (common_alanine.smk: training_inputs).
# Datasets listed in training.extended train on that longer schedule (rule train_extended: the
# same rule with its own checkpoint list, since a rule's output list cannot depend on a wildcard).
# A killed job resumes, when rerun, from results/models/{dataset}/{sde}/resume/ (not an output, so
# Snakemake keeps it); the trainer deletes that folder when the run completes.
# The Ising U-Net (rule train_ising, ising_models.smk) keeps one job per seed: batching its
# members measured no faster on one CPU thread (16.5 single against 16-17 model-iterations per
# CPU-second for 2-3 members; vmap does not run its channels-last convolutions).


rule train_mlp:
    input:
        unpack(training_inputs),
    output:
        checkpoints=expand(
            "results/models/{{dataset}}/{{sde}}/seed{seed}/ckpt_{iters}.pt",
            seed=training_seeds(),
            iters=checkpoint_iterations(),
        ),
        log_csv=expand("results/models/{{dataset}}/{{sde}}/seed{seed}/train_log.csv", seed=training_seeds()),
    params:
        training=lambda wc: training_params(wc.dataset),
        sde=lambda wc: sde_params(wc.sde),
        dataset=lambda wc: training_dataset(wc.dataset),
        seeds=lambda wc: [training_seed(wc.dataset, replicate) for replicate in training_seeds()],
        device=config["device"],
        state_dir=lambda wc: f"results/models/{wc.dataset}/{wc.sde}/resume",
    wildcard_constraints:
        dataset=dataset_exclusion(extended_datasets()),
    log:
        "logs/train_mlp/{dataset}_{sde}.log",
    benchmark:
        "results/benchmarks/train_mlp/{dataset}_{sde}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        # minutes: one model's allowance per seed (the 4x128 MLP at batch 512 runs >= 100 iterations/s
        # per thread, the ensemble >= 100 model-iterations/s)
        runtime=lambda wc, attempt: training_minutes(wc.dataset, attempt) * len(training_seeds()),
        gpu=1 if config["device"] == "cuda" else 0,
    conda:
        f"{ENVS}/torch.yaml"
    script:
        "../scripts/train_model.py"


use rule train_mlp as train_extended with:
    output:
        checkpoints=expand(
            "results/models/{{dataset}}/{{sde}}/seed{seed}/ckpt_{iters}.pt",
            seed=training_seeds(),
            iters=sorted(config["training"]["extended"]["checkpoints"]),
        ),
        log_csv=expand("results/models/{{dataset}}/{{sde}}/seed{seed}/train_log.csv", seed=training_seeds()),
    wildcard_constraints:
        dataset=dataset_choice(extended_datasets()),
    priority: PRIORITY_LONG_JOBS
    log:
        "logs/train_extended/{dataset}_{sde}.log",
    benchmark:
        "results/benchmarks/train_extended/{dataset}_{sde}.tsv"
