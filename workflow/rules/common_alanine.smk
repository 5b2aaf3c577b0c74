# Helpers of the alanine-dipeptide stages (workflow/rules/alanine.smk, alanine_models.smk),
# included by common.smk.


# ---- Alanine dipeptide (issue 5): GROMACS settings from config, production chunks, targets ----

from activediff.alanine import gromacs as alanine_gromacs  # .mdp parameters from config values

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
        # = activediff.alanine.models.DATA_KIND, not imported here (that module pulls in torch at parse time)
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
    return ["results/figures/fig3a.png", "results/figures/fig3a_separation.png", "results/metrics/alanine_basins.csv",
            "results/metrics/alanine_separation.csv", "results/fidelity/alanine.csv"]
