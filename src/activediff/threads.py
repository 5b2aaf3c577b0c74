"""Thread limits of a job, set before numpy starts its BLAS pool (this module imports neither)."""

import os
import sys


def limit_blas_threads(threads: int) -> bool:
    """Limit OpenMP/OpenBLAS to `threads`; True when numpy was not imported yet, i.e. the limit
    takes effect (the caller logs a warning otherwise)."""
    effective = "numpy" not in sys.modules
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    return effective
