"""Check one temperature's lattices against the exact values; write validation.json or fail."""
from activediff.io import log_to

log = log_to(snakemake.log[0])

from activediff.io import write_json  # noqa: E402
from activediff.ising.mcmc import load_samples  # noqa: E402
from activediff.ising.validation import failure_message, require_passed, validate_samples  # noqa: E402

p = snakemake.params
samples = load_samples(snakemake.input[0], L=p.L)
report = validate_samples(samples, p.T, sigma=p.sigma)
for test in report["tests"]:
    log.info("%-20s estimate %.6g +- %.2g, reference %.6g, z = %s (limit %g): %s", test["name"],
             test["estimate"], test["stderr"], test["reference"],
             "undefined (no spread)" if test["z"] is None else f"{test['z']:+.2f}", test["limit"],
             "pass" if test["passed"] else "FAIL")
if not report["passed"]:
    if p.on_failure == "record":  # config ising.on_validation_failure: keep the data, flagged
        log.warning("%s", failure_message(report, snakemake.input[0]))
        log.warning("on_validation_failure = record: writing validation.json with passed = false")
    else:
        require_passed(report, snakemake.input[0])
write_json(snakemake.output[0], report)
