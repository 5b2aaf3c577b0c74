# Helpers, validation and target lists (the Ising and alanine helpers in common_ising.smk and
# common_alanine.smk). Rule files hold only rules.

from snakemake.utils import validate

from activediff.seeding import derive_seed

validate(config, schema="../schemas/config.schema.yaml")

ENVS = "../../envs"

# Scheduling on few cores: the scheduler fills free cores with the highest-priority ready jobs.
# Without priorities the many short one-thread jobs come first and the serial GROMACS chain
# (and everything after it: dihedrals, alanine models) starts last and sets the wall time.
# The long-running chains and the longest jobs go first (longest-processing-time order).
PRIORITY_CRITICAL_PATH = 50  # MD chain to the dihedrals and chart; Ising data and validation
PRIORITY_LONG_JOBS = 10  # minutes-long training and sampling jobs

# Stage helpers too long to share this file (functions only; they may use anything defined here).


include: "common_ising.smk"
include: "common_alanine.smk"


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
    """Canonical text of a (physical) step size, used in file names: 0.05 -> '0.05'."""
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
        dt=[dt_tag(dt) for dt in config["analytic"]["dt_physical"]],
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
        "results/claims/parameter_sources.csv",
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
    """Datasets trained on the longer schedule training.extended (rule train_extended); refuses an
    "extended" schedule shorter than the main one (a config that raises training.checkpoints, as
    paper scale does, must raise or empty training.extended too)."""
    cfg = config["training"]
    names = list(cfg["extended"]["datasets"])
    if names and max(cfg["extended"]["checkpoints"]) < max(cfg["checkpoints"]):
        raise ValueError(f"config: training.extended.checkpoints (to {max(cfg['extended']['checkpoints'])}) end before "
                         f"training.checkpoints (to {max(cfg['checkpoints'])}): {names} would train less than the other "
                         "sets; raise training.extended.checkpoints or set training.extended.datasets: []")
    return names


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


def model_identity(dataset, sde, replicate):
    """What the checkpoints of one trained model record about it (its data, process with
    parameters, training seed): every script that loads a checkpoint checks these and the
    iteration, so a checkpoint of another model is refused (training.checkpoints.load_score_model)."""
    return {"data": training_dataset(dataset), "sde": {"name": sde, "params": sde_params(sde)},
            "seed": training_seed(dataset, replicate)}


def learned_models():
    """(dataset, process) pairs with trained models that are sampled."""
    cfg = config["learned"]
    sets = list(dict.fromkeys(cfg["em_datasets"] + cfg["iteration_datasets"] + cfg["split_datasets"]))
    return [(ds, sde) for ds in sets for sde in cfg["sdes"]]


def learned_plan(dataset, sde):
    """What one sampling job does for a (dataset, process, seed): a list of [sampler, iteration,
    physical dt, grid] entries (dt = 0 for the adaptive ODE; grid `stage` = learned.sampling's own
    convention, or authors_analytic for the second row). Final checkpoint: Euler-Maruyama over the
    dt grid (dt-scan and splitting sets; on dt-scan sets also under the analytic grid when
    learned.analytic_row), the ODE (dt-scan sets), the splitting sampler (splitting sets, active and
    CLD); every checkpoint: Euler-Maruyama at iteration_dt_physical (iteration sets)."""
    cfg, final = config["learned"], final_iteration(dataset)
    grid = [float(dt) for dt in cfg["dt_physical"]]
    plan = []
    if dataset in cfg["em_datasets"] or dataset in cfg["split_datasets"]:
        plan += [["learned_em", final, dt, "stage"] for dt in grid]
    if dataset in cfg["em_datasets"] and cfg["analytic_row"]:
        plan += [["learned_em", final, dt, "authors_analytic"] for dt in grid]
    if dataset in cfg["em_datasets"] and cfg["ode"]:
        plan.append(["learned_ode", final, 0.0, "stage"])
    if dataset in cfg["split_datasets"] and sde in ("active", "cld"):
        plan += [["learned_split", final, dt, "stage"] for dt in grid]
    if dataset in cfg["iteration_datasets"]:
        dt = float(cfg["iteration_dt_physical"])
        plan += [["learned_em", it, dt, "stage"] for it in checkpoint_iterations(dataset)
                 if ["learned_em", it, dt, "stage"] not in plan]
    return plan


def learned_model_iterations(dataset, sde):
    """The checkpoint iterations a sampling job reads, in the order of its inputs."""
    return sorted({entry[1] for entry in learned_plan(dataset, sde)})


def learned_model_inputs(wildcards):
    """The checkpoints a sampling job reads."""
    return [f"results/models/{wildcards.dataset}/{wildcards.sde}/seed{wildcards.seed}/ckpt_{it}.pt"
            for it in learned_model_iterations(wildcards.dataset, wildcards.sde)]


def learned_sample_files(dataset=None):
    return [f"results/samples/{ds}/{sde}/learned/seed{seed}.npz"
            for ds, sde in learned_models() if dataset in (None, ds) for seed in training_seeds()]


def learned_metric_files():
    return [f"results/metrics/learned/{ds}/{sde}/seed{seed}.csv"
            for ds, sde in learned_models() for seed in training_seeds()]


def swissroll_sample_keys():
    """(dataset, process, seed) of the learned sample files of Swiss-roll sets."""
    return [(ds, sde, seed) for ds, sde in learned_models()
            if toy_params(ds)["kind"] in ("swissroll", "multimodal_swissroll") for seed in training_seeds()]


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
    if config["diagnostics"]["enabled"]:
        parts.append("results/fidelity/diagnostics.csv")
    if config["claim_map"]["enabled"]:
        parts.append("results/fidelity/claim_map.csv")
    return parts


# ---- Diagnostics: GFDT response and entropy production (workflow/rules/diagnostics.smk) ----


def diagnostics_checkpoints(sde):
    """Final checkpoints of the diagnostics seeds (each must be a training seed) for one process."""
    cfg = config["diagnostics"]
    missing = sorted(set(cfg["seeds"]) - set(training_seeds()))
    if missing:
        raise ValueError(f"config: diagnostics.seeds {missing} are not in training.seeds {training_seeds()}")
    return [f"results/models/{cfg['dataset']}/{sde}/seed{seed}/ckpt_{final_iteration(cfg['dataset'])}.pt"
            for seed in cfg["seeds"]]


def diagnostics_identities(sde):
    """What each of diagnostics_checkpoints(sde) must be (model_identity and the final iteration)."""
    dataset = config["diagnostics"]["dataset"]
    return [dict(model_identity(dataset, sde, seed), iteration=final_iteration(dataset))
            for seed in config["diagnostics"]["seeds"]]


def diagnostics_targets():
    if not config["diagnostics"]["enabled"]:
        return []
    return ["results/metrics/response.csv", "results/figures/figD1_response.png",
            "results/metrics/entropy_production.csv", "results/figures/figD2_entropy_production.png"]


def all_targets():
    return (analytic_targets() + learned_targets() + ising_targets() + ising_model_targets() + alanine_targets()
            + alanine_model_targets() + diagnostics_targets() + claim_map_targets())
