"""Physics diagnostics on the same models: GFDT response functions from a score and entropy
production along generation, with their tables and figures."""
