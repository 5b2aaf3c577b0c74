# activediff: regenerate every figure of Lamtyugina et al. (arXiv:2411.07233 v1) from raw simulation.
# Usage: snakemake --cores N   (see README.md). Rules live in workflow/rules/.

from snakemake.utils import min_version

min_version("9.0")


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
