# Helpers, validation and target lists. Rule files hold only rules.

from snakemake.utils import validate

from activediff.seeding import derive_seed

validate(config, schema="../schemas/config.schema.yaml")

ENVS = "../../envs"

# Cheap rules (figures, tables, the report) run inside the Snakemake process, not as cluster
# jobs: on SLURM each job costs a queue wait and a Snakemake start-up. Every name must be a rule
# (tests/test_slurm.py checks).
localrules:
    analytic_metrics_table,
    fig_analytic_scatter,
    fig_analytic_metrics,
    fig_fourier,
    fig_speciation,
    fidelity_analytic,
    fidelity,
    learned_tables,
    fig_learned_scatter,
    fig_learned_iterations,
    fig_learned_metrics,
    fidelity_learned,
    ising_data_figure,
    fidelity_ising,
    ising_model_figures,
    alanine_ramachandran_data,
    fig_response,
    fig_entropy_production,


wildcard_constraints:
    dataset=r"[A-Za-z0-9_]+",
    sde=r"passive|active|cld",
    dt=r"[0-9.e-]+",
    T=r"[0-9.]+",


def log_path(rule_name, pattern=""):
    """Log file of a rule: logs/<rule>/<wildcards>.log (STYLE.md)."""
    return f"logs/{rule_name}/{pattern or 'all'}.log"


def bench_path(rule_name, pattern=""):
    return f"results/benchmarks/{rule_name}/{pattern or 'all'}.tsv"


def sde_params(name):
    """Parameters of one process, as make_sde() takes them; only that process's keys (DAG-precise reruns)."""
    proc = config["processes"]
    return dict(proc[name], beta=proc["beta"], t_max=proc["t_max"])


def toy_params(name):
    if name not in config["toy_datasets"]:
        raise ValueError(f"config: dataset '{name}' is not defined under toy_datasets "
                         f"(defined: {sorted(config['toy_datasets'])})")
    return config["toy_datasets"][name]


def dt_tag(dt):
    """Canonical text of a step size, used in file names: 0.05 -> '0.05'."""
    return f"{float(dt):g}"


# Scatter figures of the analytic stage and the dataset each shows (paper: wide and close diamond).
SCATTER_FIGURES = {
    fig: ds
    for fig, ds in {"fig2a": "diamond", "figA1": "diamond_close"}.items()
    if ds in config["analytic"]["datasets"]
}


def toy_data_size():
    """Data points stored per toy set: enough for every metric chunk."""
    return config["metrics"]["n_eval"] * config["metrics"]["n_chunks"]


def analytic_samples(dataset):
    return expand(
        "results/samples/{dataset}/{sde}/exact_em/dt{dt}.npz",
        dataset=dataset,
        sde=config["analytic"]["sdes"],
        dt=[dt_tag(dt) for dt in config["analytic"]["dt_grid"]],
    )


def analytic_metric_rows():
    return [
        path.replace("results/samples/", "results/metrics/samples/").replace(".npz", ".csv")
        for ds in config["analytic"]["datasets"]
        for path in analytic_samples(ds)
    ]


def fourier_processes():
    """Passive and both eta0 conventions of the active process (Fig A6)."""
    active = sde_params("active")
    return {
        "passive": ("passive", sde_params("passive")),
        "active (eta0 stationary)": ("active", dict(active, eta0="stationary")),
        "active (eta0 = 0)": ("active", dict(active, eta0="zero")),
    }


def analytic_targets():
    figures = [f"results/figures/{fig}.png" for fig in SCATTER_FIGURES]
    return figures + [
        "results/figures/fig2a_metrics.png",
        "results/figures/figA6.png",
        "results/figures/figA8.png",
        "results/fidelity.csv",
    ]


# --- learned-score stage -------------------------------------------------------------------------
# Scatter figures of learned models: figure -> (dataset, processes shown as rows).
LEARNED_SCATTER = {
    fig: (ds, sdes)
    for fig, (ds, sdes) in {
        "fig2b": ("diamond", ["passive", "active"]),
        "figA2": ("diamond", ["passive", "cld", "active"]),
        "figA3": ("swissroll", ["passive", "active", "cld"]),
        "fig3b": ("multimodal_swissroll_overlap", ["passive", "active", "cld"]),
    }.items()
    if ds in config["learned"]["em_datasets"] and set(sdes) <= set(config["learned"]["sdes"])
}


def training_seeds():
    return list(config["training"]["seeds"])


def extended_datasets():
    """Datasets trained on the longer schedule training.extended (rule train_extended)."""
    return list(config["training"]["extended"]["datasets"])


def checkpoint_iterations(dataset=None):
    """Checkpoint iterations of a dataset's models: training.extended.checkpoints for the
    datasets listed there, training.checkpoints otherwise (and for dataset None)."""
    cfg = config["training"]
    iterations = cfg["extended"]["checkpoints"] if dataset in extended_datasets() else cfg["checkpoints"]
    return sorted(int(i) for i in iterations)


def final_iteration(dataset=None):
    return checkpoint_iterations(dataset)[-1]


def training_params(dataset):
    """Training settings one run depends on: the dataset's checkpoints, not the replicate list
    (adding a seed reruns nothing) nor the other schedule."""
    params = {key: value for key, value in config["training"].items() if key not in ("seeds", "extended")}
    return dict(params, checkpoints=checkpoint_iterations(dataset))


def dataset_choice(names):
    """Wildcard regex matching exactly the given dataset names (none: matches nothing)."""
    return "|".join(names) or "(?!)"


def dataset_exclusion(names):
    """Wildcard regex matching any dataset name but the given ones (the models' paths continue
    with '/', which the lookahead uses as the end of the name)."""
    if not names:
        return r"[A-Za-z0-9_]+"
    return rf"(?!(?:{'|'.join(names)})/)[A-Za-z0-9_]+"


def iteration_figure_checkpoints():
    """Columns of Fig A4: the one training schedule of learned.iteration_datasets."""
    schedules = {tuple(checkpoint_iterations(ds)) for ds in config["learned"]["iteration_datasets"]}
    if len(schedules) > 1:
        raise ValueError("config: learned.iteration_datasets must share one training schedule (the columns of "
                         "Fig A4): list all or none of them in training.extended.datasets")
    return list(schedules.pop()) if schedules else checkpoint_iterations()


def training_minutes(dataset, attempt):
    """Runtime resource of a training job: >= 100 iterations/s per CPU thread, with margin."""
    return attempt * (10 + final_iteration(dataset) // 6000)


def training_seed(dataset, replicate):
    """RNG seed of one training replicate. Shared by the processes, so passive, active and CLD
    models of a replicate see the same data batches (paired comparisons)."""
    return derive_seed(config["seed"], "train", dataset, int(replicate))


def learned_models():
    """(dataset, process) pairs with trained models that are sampled."""
    cfg = config["learned"]
    sets = list(dict.fromkeys(cfg["em_datasets"] + cfg["iteration_datasets"] + cfg["split_datasets"]))
    return [(ds, sde) for ds in sets for sde in cfg["sdes"]]


def learned_plan(dataset, sde):
    """What one sampling job does for a (dataset, process, seed): a list of [sampler, iteration,
    dt] entries (dt = 0 for the adaptive ODE). Final checkpoint: Euler-Maruyama over the dt grid
    (dt-scan and splitting sets), the ODE (dt-scan sets), the splitting sampler (splitting sets,
    active and CLD); every checkpoint: Euler-Maruyama at iteration_dt (iteration sets)."""
    cfg, final = config["learned"], final_iteration(dataset)
    grid = [float(dt) for dt in cfg["dt_grid"]]
    plan = []
    if dataset in cfg["em_datasets"] or dataset in cfg["split_datasets"]:
        plan += [["learned_em", final, dt] for dt in grid]
    if dataset in cfg["em_datasets"] and cfg["ode"]["enabled"]:
        plan.append(["learned_ode", final, 0.0])
    if dataset in cfg["split_datasets"] and sde in ("active", "cld"):
        plan += [["learned_split", final, dt] for dt in grid]
    if dataset in cfg["iteration_datasets"]:
        dt = float(cfg["iteration_dt"])
        plan += [["learned_em", it, dt] for it in checkpoint_iterations(dataset)
                 if ["learned_em", it, dt] not in plan]
    return plan


def learned_model_inputs(wildcards):
    """The checkpoints a sampling job reads."""
    iterations = sorted({it for _, it, _ in learned_plan(wildcards.dataset, wildcards.sde)})
    return [f"results/models/{wildcards.dataset}/{wildcards.sde}/seed{wildcards.seed}/ckpt_{it}.pt"
            for it in iterations]


def learned_sample_files(dataset=None):
    return [f"results/samples/{ds}/{sde}/learned/seed{seed}.npz"
            for ds, sde in learned_models() if dataset in (None, ds) for seed in training_seeds()]


def learned_metric_files():
    return [f"results/metrics/learned/{ds}/{sde}/seed{seed}.csv"
            for ds, sde in learned_models() for seed in training_seeds()]


def learned_datasets():
    return sorted({ds for ds, _ in learned_models()})


def learned_targets():
    if not config["learned"]["enabled"]:
        return []
    figures = [f"results/figures/{fig}.png" for fig in LEARNED_SCATTER]
    if config["learned"]["iteration_datasets"]:
        figures.append("results/figures/figA4.png")
    return figures + [
        "results/figures/fig2b_metrics.png",
        "results/figures/sampler_comparison.png",
        "results/metrics/learned_vs_exact.csv",
    ]


def fidelity_parts():
    """Per-stage claim tables gathered into results/fidelity.csv."""
    parts = ["results/fidelity/analytic.csv"]
    if config["learned"]["enabled"]:
        parts.append("results/fidelity/learned.csv")
    if config["ising_models"]["enabled"]:
        parts.append("results/fidelity/ising.csv")
    if alanine_models_enabled():
        parts.append("results/fidelity/alanine.csv")
    return parts


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


def ising_training_params(sde):
    """TrainSettings of one process: the section, with score mixing where configured."""
    cfg = config["ising_models"]
    return dict(cfg["training"], mixed_score=sde in cfg["mixed_score"])


def ising_training_seed(T, replicate):
    """RNG seed of one replicate at one temperature, shared by the processes (same data subset
    and batches: paired comparisons)."""
    return derive_seed(config["seed"], "train", f"ising_T{ising_tag(T)}", int(replicate))


def ising_training_minutes():
    """Runtime resource of a training job: about 100 lattices a second on one CPU thread for the
    default network (larger networks: run on GPUs, or raise the retries' attempt factor)."""
    t = config["ising_models"]["training"]
    return 10 + max(t["checkpoints"]) * t["batch_size"] // 6000


def ising_sampling_minutes():
    """Runtime resource of a sampling job: ~300 score evaluations per lattice, ~1 ms each."""
    s, t = config["ising_models"]["sampling"], config["ising_models"]["training"]
    return 10 + s["n_samples"] * len(t["checkpoints"]) // 200


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


# ---- Alanine dipeptide (issue 5): GROMACS settings from config, production chunks, targets ----

from activediff.data import gromacs as alanine_gromacs  # .mdp parameters from config values

ALANINE_MD = "results/alanine/md"


def alanine_own_trajectories():
    """Bring-your-own trajectories named in the config (then no simulation runs)."""
    return list(config["alanine"]["trajectories"])


def alanine_dynamics():
    a = config["alanine"]
    return dict(dt_ps=a["timestep_fs"] / 1000.0, temperature=a["temperature_K"], tau_t=a["tau_t_ps"])


def alanine_barostat():
    a = config["alanine"]
    return dict(pressure_bar=a["pressure_bar"], tau_p=a["tau_p_ps"],
                compressibility=a["compressibility_per_bar"])


def alanine_mdp(stage):
    """.mdp parameters of minimisation / nvt / npt (a params value: a config change reruns the stage)."""
    a = config["alanine"]
    seed = derive_seed(config["seed"], "alanine", stage)
    if stage == "minimization":
        return alanine_gromacs.minimization_params(a["em_max_steps"], a["em_tolerance"])
    if stage == "nvt":
        return alanine_gromacs.nvt_params(a["nvt_ps"], seed=seed, **alanine_dynamics())
    return alanine_gromacs.npt_params(a["npt_ps"], seed=seed, restrain=a["npt_restrained"],
                                      **alanine_dynamics(), **alanine_barostat())


def alanine_chunks():
    """(first step, number of steps) of each production chunk of one replica."""
    a = config["alanine"]
    dt = a["timestep_fs"] / 1000.0
    total = alanine_gromacs.steps(a["production_ps"] / a["replicas"], dt,
                                  "alanine.production_ps / alanine.replicas")
    chunk = alanine_gromacs.steps(a["chunk_ps"], dt, "alanine.chunk_ps")
    return [(first, min(chunk, total - first)) for first in range(0, total, chunk)]


def alanine_production_mdp(replica, chunk):
    first, n_steps = alanine_chunks()[int(chunk)]
    seed = derive_seed(config["seed"], "alanine", "production", int(replica))
    return alanine_gromacs.production_params(first, n_steps, frame_ps=config["alanine"]["frame_ps"],
                                             seed=seed, **alanine_dynamics(), **alanine_barostat())


def alanine_previous_state(wildcards):
    """State a production chunk continues from: the NPT run, or the replica's previous chunk."""
    chunk = int(wildcards.chunk)
    stem = (f"{ALANINE_MD}/npt/npt" if chunk == 0
            else f"{ALANINE_MD}/replica{wildcards.replica}/chunk{chunk - 1}")
    return {"gro": f"{stem}.gro", "cpt": f"{stem}.cpt"}


def alanine_runtime(length_ps):
    """Runtime resource (minutes) of an MD job of this length at the assumed speed, with margin."""
    return 5 + int(1.5 * length_ps / 1000.0 / config["alanine"]["speed_ns_per_day"] * 1440)


def alanine_segments():
    """Independent runs, each a list of consecutive trajectory files."""
    own = alanine_own_trajectories()
    if own:
        return [[path] for path in own]
    n_chunks = len(alanine_chunks())
    return [[f"{ALANINE_MD}/replica{r}/chunk{k}.xtc" for k in range(n_chunks)]
            for r in range(config["alanine"]["replicas"])]


def alanine_topology():
    if alanine_own_trajectories():
        if not config["alanine"]["topology"]:
            raise ValueError("config: alanine.trajectories is set but alanine.topology is empty; "
                             "give the .gro or .pdb that matches the trajectories")
        return config["alanine"]["topology"]
    return f"{ALANINE_MD}/system/system.gro"


def alanine_targets():
    if not config["alanine"]["enabled"]:
        return []
    return ["results/alanine/dihedrals.npz", "results/alanine/basins_data.csv",
            "results/figures/ramachandran_data.png"]


# ---- Alanine dipeptide score models (issue 5 item 5, workflow/rules/alanine_models.smk) ----

ALANINE_DATASET = "alanine"   # training dataset name: results/models/alanine/{sde}/seed{seed}/
ALANINE_CHART = "results/alanine/chart.json"


def training_inputs(wildcards):
    """Files a train_mlp job reads: none for a toy set (drawn on the fly); the dihedral frames
    and their chart for the alanine models."""
    if wildcards.dataset == ALANINE_DATASET:
        return {"dihedrals": "results/alanine/dihedrals.npz", "chart": ALANINE_CHART}
    return {}


def training_dataset(name):
    """The `dataset` params of a train_mlp job: a toy set's entry, or the alanine data kind."""
    if name == ALANINE_DATASET:
        if name in config["toy_datasets"]:
            raise ValueError(f"config: toy_datasets may not use the name '{name}' (the alanine models' dataset)")
        # = activediff.alanine_models.DATA_KIND, not imported here (that module pulls in torch at parse time)
        return {"kind": "alanine_dihedrals"}
    return toy_params(name)


def alanine_model_sampling_seed(sde, replicate):
    return derive_seed(config["seed"], "alanine_sample", sde, int(replicate))


def alanine_model_files(kind, sdes=None):
    """Per-model outputs of sample_alanine, kind 'samples' or 'basins', of every training seed of
    the given processes (default: all of alanine.models.sdes)."""
    stem = {"samples": "results/samples/alanine", "basins": "results/metrics/alanine"}[kind]
    suffix = {"samples": "npz", "basins": "csv"}[kind]
    return [f"{stem}/{sde}/seed{seed}.{suffix}"
            for sde in (sdes or config["alanine"]["models"]["sdes"]) for seed in training_seeds()]


def alanine_models_enabled():
    return config["alanine"]["enabled"] and config["alanine"]["models"]["enabled"]


def alanine_model_targets():
    if not alanine_models_enabled():
        return []
    return ["results/figures/fig3a.png", "results/metrics/alanine_basins.csv", "results/fidelity/alanine.csv"]


# ---- Diagnostics: GFDT response and entropy production (workflow/rules/diagnostics.smk) ----


def diagnostics_checkpoints(sde):
    """Final checkpoints of the diagnostics seeds (each must be a training seed) for one process."""
    cfg = config["diagnostics"]
    missing = sorted(set(cfg["seeds"]) - set(training_seeds()))
    if missing:
        raise ValueError(f"config: diagnostics.seeds {missing} are not in training.seeds {training_seeds()}")
    return [f"results/models/{cfg['dataset']}/{sde}/seed{seed}/ckpt_{final_iteration(cfg['dataset'])}.pt"
            for seed in cfg["seeds"]]


def diagnostics_parity(sde):
    """Time-reversal parity of the channels in the entropy production (CLD velocity: config)."""
    if sde == "cld":
        return [1, -1 if config["diagnostics"]["entropy"]["cld_velocity_parity"] == "odd" else 1]
    return None


def diagnostics_targets():
    if not config["diagnostics"]["enabled"]:
        return []
    return ["results/metrics/response.csv", "results/figures/figD1_response.png",
            "results/metrics/entropy_production.csv", "results/figures/figD2_entropy_production.png"]


def all_targets():
    return (analytic_targets() + learned_targets() + ising_targets() + ising_model_targets() + alanine_targets()
            + alanine_model_targets() + diagnostics_targets())
