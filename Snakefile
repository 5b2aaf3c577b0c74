# activediff: regenerate every figure of Lamtyugina et al. (arXiv:2411.07233 v1) from raw simulation.
# Usage: snakemake --workflow-profile workflow/profiles/default   (see README.md). Rules live in
# workflow/rules/.

import sys

from snakemake.utils import min_version

from activediff.runlock import clear_stale_locks, forget_owner, record_owner

min_version("9.0")

# A run killed with SIGKILL leaves Snakemake's locks behind: the same command then removes them
# itself when the run that held them is certainly gone (activediff.runlock), instead of stopping
# with "Directory cannot be locked". Jobs that parse this file (cluster jobs) skip this.
if workflow.is_main_process:
    _cleared = clear_stale_locks(".snakemake")
    if _cleared:
        print(_cleared, file=sys.stderr)


onstart:
    record_owner(".snakemake", local=workflow.local_exec)


onsuccess:
    forget_owner(".snakemake")


onerror:
    forget_owner(".snakemake")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/analytic.smk"
include: "workflow/rules/claim_map.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/learned.smk"
include: "workflow/rules/ising.smk"
include: "workflow/rules/ising_models.smk"
include: "workflow/rules/alanine.smk"
include: "workflow/rules/alanine_models.smk"
include: "workflow/rules/diagnostics.smk"
include: "workflow/rules/report.smk"


localrules:
    all,


rule all:
    input:
        all_targets(),
    default_target: True
