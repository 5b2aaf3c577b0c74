# Alanine dipeptide stage (paper appendix A5; issue 5): a built ACE-ALA-NME, GROMACS set-up,
# minimisation, NVT, NPT, then production as `replicas` independent chains of restartable chunks;
# or bring-your-own trajectories (alanine.trajectories), which skip the simulation. Then phi/psi
# with mdtraj, basin populations and the Ramachandran plot of the data.
# GROMACS rules: gmx from PATH (Debian package), envs/md.yaml (--sdm conda) or the site's module
# (--sdm env-modules); mdrun gets -ntmpi 1 -ntomp {threads}.

# Seconds of work each: on SLURM they run in the Snakemake process, not as jobs.
localrules:
    alanine_structure,
    alanine_basins_data,
    alanine_ramachandran_data,


rule alanine_structure:
    output:
        f"{ALANINE_MD}/structure.pdb",
    params:
        phi=config["alanine"]["start_phi"],
        psi=config["alanine"]["start_psi"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_structure/all.log",
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_structure.py"


rule alanine_system:
    input:
        f"{ALANINE_MD}/structure.pdb",
    output:
        topology=f"{ALANINE_MD}/system/topol.top",
        restraints=f"{ALANINE_MD}/system/posre.itp",
        structure=f"{ALANINE_MD}/system/system.gro",
    params:
        force_field=config["alanine"]["force_field"],
        water=config["alanine"]["water"],
        box_margin_nm=config["alanine"]["box_margin_nm"],
        salt_molar=config["alanine"]["salt_molar"],
        seed=derive_seed(config["seed"], "alanine", "genion"),
        gmx=config["alanine"]["gmx"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_system/all.log",
    resources:
        mem_mb=1000,
        runtime=10,
    envmodules:
        *config["alanine"]["modules"],
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_system.py"


rule alanine_minimize:
    input:
        structure=f"{ALANINE_MD}/system/system.gro",
        topology=f"{ALANINE_MD}/system/topol.top",
        restraints=f"{ALANINE_MD}/system/posre.itp",
    output:
        structure=f"{ALANINE_MD}/em/em.gro",
        md_log=f"{ALANINE_MD}/em/em.log",
    params:
        mdp=alanine_mdp("minimization"),
        gmx=config["alanine"]["gmx"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_minimize/all.log",
    benchmark:
        "results/benchmarks/alanine_minimize/all.tsv"
    threads: config["alanine"]["mdrun_threads"]
    resources:
        mem_mb=1000,
        runtime=30,
    envmodules:
        *config["alanine"]["modules"],
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_minimize.py"


rule alanine_nvt:
    input:
        structure=f"{ALANINE_MD}/em/em.gro",
        restraint_ref=f"{ALANINE_MD}/em/em.gro",
        topology=f"{ALANINE_MD}/system/topol.top",
        restraints=f"{ALANINE_MD}/system/posre.itp",
    output:
        gro=f"{ALANINE_MD}/nvt/nvt.gro",
        cpt=f"{ALANINE_MD}/nvt/nvt.cpt",
        edr=f"{ALANINE_MD}/nvt/nvt.edr",
        md_log=f"{ALANINE_MD}/nvt/nvt.log",
    params:
        mdp=alanine_mdp("nvt"),
        gmx=config["alanine"]["gmx"],
        maxh=config["alanine"]["maxh"],
        checkpoint_minutes=config["alanine"]["checkpoint_minutes"],
        reproducible=config["alanine"]["reproducible"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_nvt/all.log",
    benchmark:
        "results/benchmarks/alanine_nvt/all.tsv"
    threads: config["alanine"]["mdrun_threads"]
    retries: config["alanine"]["mdrun_retries"]
    resources:
        mem_mb=1000,
        runtime=alanine_runtime(config["alanine"]["nvt_ps"]),
    envmodules:
        *config["alanine"]["modules"],
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_dynamics.py"


rule alanine_npt:
    input:
        structure=f"{ALANINE_MD}/nvt/nvt.gro",
        checkpoint=f"{ALANINE_MD}/nvt/nvt.cpt",
        restraint_ref=f"{ALANINE_MD}/em/em.gro",
        topology=f"{ALANINE_MD}/system/topol.top",
        restraints=f"{ALANINE_MD}/system/posre.itp",
    output:
        gro=f"{ALANINE_MD}/npt/npt.gro",
        cpt=f"{ALANINE_MD}/npt/npt.cpt",
        edr=f"{ALANINE_MD}/npt/npt.edr",
        md_log=f"{ALANINE_MD}/npt/npt.log",
    params:
        mdp=alanine_mdp("npt"),
        gmx=config["alanine"]["gmx"],
        maxh=config["alanine"]["maxh"],
        checkpoint_minutes=config["alanine"]["checkpoint_minutes"],
        reproducible=config["alanine"]["reproducible"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_npt/all.log",
    benchmark:
        "results/benchmarks/alanine_npt/all.tsv"
    threads: config["alanine"]["mdrun_threads"]
    retries: config["alanine"]["mdrun_retries"]
    resources:
        mem_mb=1000,
        runtime=alanine_runtime(config["alanine"]["npt_ps"]),
    envmodules:
        *config["alanine"]["modules"],
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_dynamics.py"


rule alanine_production:
    input:
        structure=lambda wc: alanine_previous_state(wc)["gro"],
        checkpoint=lambda wc: alanine_previous_state(wc)["cpt"],
        topology=f"{ALANINE_MD}/system/topol.top",
        restraints=f"{ALANINE_MD}/system/posre.itp",
    output:
        xtc=f"{ALANINE_MD}/replica{{replica}}/chunk{{chunk}}.xtc",
        gro=f"{ALANINE_MD}/replica{{replica}}/chunk{{chunk}}.gro",
        cpt=f"{ALANINE_MD}/replica{{replica}}/chunk{{chunk}}.cpt",
        edr=f"{ALANINE_MD}/replica{{replica}}/chunk{{chunk}}.edr",
        md_log=f"{ALANINE_MD}/replica{{replica}}/chunk{{chunk}}.log",
    wildcard_constraints:
        replica=r"\d+",
        chunk=r"\d+",
    params:
        mdp=lambda wc: alanine_production_mdp(wc.replica, wc.chunk),
        gmx=config["alanine"]["gmx"],
        maxh=config["alanine"]["maxh"],
        checkpoint_minutes=config["alanine"]["checkpoint_minutes"],
        reproducible=config["alanine"]["reproducible"],
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_production/replica{replica}_chunk{chunk}.log",
    benchmark:
        "results/benchmarks/alanine_production/replica{replica}_chunk{chunk}.tsv"
    threads: config["alanine"]["production_threads"]
    retries: config["alanine"]["mdrun_retries"]
    resources:
        mem_mb=1000,
        runtime=alanine_runtime(config["alanine"]["chunk_ps"]),
    envmodules:
        *config["alanine"]["modules"],
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_dynamics.py"


rule alanine_dihedrals:
    input:
        trajectories=lambda wc: [path for segment in alanine_segments() for path in segment],
        topology=alanine_topology(),
    output:
        "results/alanine/dihedrals.npz",
    params:
        segments=alanine_segments(),
    priority: PRIORITY_CRITICAL_PATH
    log:
        "logs/alanine_dihedrals/all.log",
    benchmark:
        "results/benchmarks/alanine_dihedrals/all.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_dihedrals.py"


rule alanine_basins_data:
    input:
        "results/alanine/dihedrals.npz",
    output:
        "results/alanine/basins_data.csv",
    params:
        block_ps=config["alanine"]["bootstrap_block_ps"],
        n_bootstrap=config["alanine"]["bootstrap_samples"],
        seed=derive_seed(config["seed"], "alanine", "basins", "data"),
    log:
        "logs/alanine_basins_data/all.log",
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        f"{ENVS}/md.yaml"
    script:
        "../scripts/alanine_basins_data.py"


rule alanine_ramachandran_data:
    input:
        dihedrals="results/alanine/dihedrals.npz",
        basins="results/alanine/basins_data.csv",
    output:
        report(
            "results/figures/ramachandran_data.png",
            caption="../report/ramachandran_data.rst",
            category="Alanine dipeptide",
            labels={"figure": "ramachandran_data", "dataset": "alanine dipeptide MD"},
        ),
    log:
        "logs/alanine_ramachandran_data/all.log",
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        f"{ENVS}/plot.yaml"
    script:
        "../scripts/alanine_ramachandran_data.py"
