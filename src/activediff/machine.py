"""The machine, the software and the load a measurement was taken on: what every benchmark record
and run record carries beside its numbers (the machines are shared; a number without its load
average cannot be compared)."""

from __future__ import annotations

import datetime
import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (None where the system has none)."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def machine_info(**extra) -> dict:
    """CPU model, core count and the cores this process may use, Python, the platform, the load
    averages now and the UTC time, plus `extra` (library versions, threads, device, GPU)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "cpus_usable": usable,
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_start": load_average(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), **extra}
