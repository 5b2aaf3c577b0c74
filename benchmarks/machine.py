"""What every benchmark records beside its numbers: the machine, the software and the load."""

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


def machine_info(**extra) -> dict:
    """CPU model and count, Python, the 1/5/15-minute load averages now and the UTC time, plus
    `extra` (library versions, threads, device)."""
    return {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "load_average_at_start": list(os.getloadavg()),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), **extra}
