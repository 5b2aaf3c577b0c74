# Helpers of the Ising stages (workflow/rules/ising.smk, ising_models.smk), included by common.smk.


# ---- Ising data (issue 4, workflow/rules/ising.smk) ----


def ising_tag(T):
    """Canonical text of a temperature in paths: 2.0 -> '2', 2.25 -> '2.25' (results/ising/T{tag}/)."""
    return f"{float(T):g}"


def ising_validated_lattices(T):
    """Inputs of every job that reads Ising lattices, namely the data and their passed validation.

    Use as `input: **ising_validated_lattices(T)` (or a lambda of the wildcards): listing
    validation.json makes the rule wait for, and depend on, the check against the exact energy.
    """
    tag = ising_tag(T)
    return {
        "lattices": f"results/ising/T{tag}/lattices.npz",
        "validation": f"results/ising/T{tag}/validation.json",
    }


def ising_data_bytes():
    """Size of one temperature's lattices (int8), for the rules' memory estimates."""
    return config["ising"]["n_samples"] * config["ising"]["L"] ** 2


def ising_targets():
    if not config["ising"]["enabled"]:
        return []
    return [
        ising_validated_lattices(T)["validation"] for T in config["ising"]["temperatures"]
    ] + ["results/figures/ising_data.png"]


# ---- Score models on Ising lattices (issue 4, workflow/rules/ising_models.smk) ----


def ising_model_temperatures():
    return [ising_tag(T) for T in config["ising_models"]["temperatures"]]


def ising_checkpoint_iterations():
    """Checkpoint iterations of every lattice model, increasing (the order of the rules' outputs)."""
    return sorted(int(i) for i in config["ising_models"]["training"]["checkpoints"])


def ising_training_params(sde):
    """TrainSettings of one process: the section, with score mixing where configured."""
    cfg = config["ising_models"]
    return dict(cfg["training"], mixed_score=sde in cfg["mixed_score"])


def ising_training_seed(T, replicate):
    """RNG seed of one replicate at one temperature, shared by the processes (same data subset
    and batches: paired comparisons)."""
    return derive_seed(config["seed"], "train", f"ising_T{ising_tag(T)}", int(replicate))


def ising_model_identity(T, sde, replicate):
    """What the checkpoints of one lattice model record about it (see model_identity): the data's
    kind and temperature, the process and the training seed."""
    return {"data": {"kind": "ising", "T": float(T)}, "sde": {"name": sde, "params": sde_params(sde)},
            "seed": ising_training_seed(T, replicate)}


def ising_training_minutes():
    """Runtime resource of a training job: about 100 lattices a second on one CPU thread for the
    default network (larger networks: run on GPUs, or raise the retries' attempt factor)."""
    t = config["ising_models"]["training"]
    return 10 + max(t["checkpoints"]) * t["batch_size"] // 6000


def ising_sampling_minutes():
    """Runtime resource of a sampling job: ~300 score evaluations per lattice, ~1 ms each."""
    return 10 + config["ising_models"]["n_samples"] * len(ising_checkpoint_iterations()) // 200


def ising_model_observables():
    cfg = config["ising_models"]
    return [f"results/metrics/ising/T{T}/{sde}/seed{seed}.csv"
            for T in ising_model_temperatures() for sde in cfg["sdes"] for seed in cfg["seeds"]]


def ising_summary_inputs(wildcards):
    temps = ising_model_temperatures()
    return {"observables": ising_model_observables(),
            "lattices": [ising_validated_lattices(T)["lattices"] for T in temps],
            "validations": [ising_validated_lattices(T)["validation"] for T in temps]}


def ising_model_targets():
    if not config["ising_models"]["enabled"]:
        return []
    return ["results/figures/fig4.png", "results/figures/figA7.png",
            "results/figures/ising_model_observables.png", "results/metrics/ising.csv",
            "results/fidelity/ising.csv"]
