"""Atomic output writing and validated input reading.

Every file the pipeline produces is written to a temporary name in the same folder and renamed
into place, so a killed job never leaves a half-written output behind.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


class InputError(ValueError):
    """Bad input (file, config value, array): the message names what is wrong."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds.

    The temporary files of earlier writes of `path` that were killed (SIGKILL skips the cleanup
    below) are removed once this write has succeeded, so a killed and rerun job leaves exactly the
    files of an uninterrupted one (one job writes a given path, so none of them is in use)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = f".{path.name}.", ".tmp" + "".join(path.suffixes)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp
        os.replace(tmp, path)
        for leftover in path.parent.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
            leftover.unlink(missing_ok=True)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Write arrays to an uncompressed .npz atomically (byte-stable: no timestamps inside)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def load_npz(path: str | os.PathLike, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read the named arrays from an .npz, refusing pickled objects and missing keys."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise InputError(f"{path}: missing array(s) {missing}; found {sorted(data.files)}")
            return {k: data[k] for k in keys}
    except (OSError, ValueError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"{path}: not a readable .npz file ({err})") from err


class NonFiniteError(ValueError):
    """A NaN or infinity about to be written where a number was computed: the message names the
    file and where in it."""


NOT_APPLICABLE = "n/a"  # a CSV cell whose number does not apply to its row (pandas reads it as NaN)
FLOAT_FORMAT = "%.10g"


def _first_nonfinite(obj, where: str = "") -> str | None:
    if isinstance(obj, float) and not np.isfinite(obj):
        return f"{where or 'the value'} is {obj}"
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    else:
        return None
    return next((found for key, value in items if (found := _first_nonfinite(value, f"{where}[{key!r}]"))), None)


def write_json(path: str | os.PathLike, obj) -> None:
    """Write JSON atomically; a NaN or infinity anywhere in `obj` stops here (JSON has none)."""
    if (found := _first_nonfinite(obj)) is not None:
        raise NonFiniteError(f"{path}: {found}; not written")
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def write_csv(path: str | os.PathLike, frame, not_applicable=(), infinite=()) -> None:
    """Write a pandas DataFrame atomically with a fixed float format (byte-stable reruns).

    Every number must be finite, so that a NaN or infinity from a failed computation stops the job
    here, naming the file, column and row, instead of landing in a table as a blank cell. Where a
    number does not apply to a row (no p-value for a closed form, no spread over one seed, no EM
    amplification for an ODE sample), the caller names the column in `not_applicable`: NaN there
    is written "n/a", which pandas reads back as NaN. `infinite` names the columns where +inf is a
    value (the degrees of freedom of a closed form)."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind != "f":
            continue
        numbers = values.to_numpy(dtype=float)
        allowed = (np.isnan(numbers) & (column in not_applicable)) | ((numbers == np.inf) & (column in infinite))
        bad = ~np.isfinite(numbers) & ~allowed
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise NonFiniteError(f"{path}: column {column!r} is {numbers[row]} in row {row} of {len(numbers)} "
                                 f"({int(bad.sum())} such); not written")
        if np.isnan(numbers).any():
            frame[column] = [NOT_APPLICABLE if np.isnan(v) else FLOAT_FORMAT % v for v in numbers]
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT)


def _report_uncaught(exc_type, exc, tb) -> None:
    """Bad input ends a script with its one message as the log's last line (the message names what
    is wrong; a traceback would only bury it); anything else keeps its traceback."""
    if issubclass(exc_type, InputError):
        print(f"InputError: {exc}", file=sys.stderr)
    else:
        sys.__excepthook__(exc_type, exc, tb)


def log_to(path: str | os.PathLike | None) -> logging.Logger:
    """Send stderr and the `activediff` logger to a rule's log file (or keep stderr if None)."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sys.stderr = open(path, "w", buffering=1)
    sys.excepthook = _report_uncaught
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    return logging.getLogger("activediff")
