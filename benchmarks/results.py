"""A benchmark run's raw output: one JSON file per run, ``benchmarks/results/<bench>/<UTC time>.json``.

The file holds what the run measured, the command that made it, the commit, and the machine with its
load average before and after (the machine may be shared: read the load with the figures). The docs page
of each benchmark (``docs/benchmarks/<bench>.md``) is written by hand from these files: it holds the
current table against the target, not the runs; git keeps the history of both.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """Cores, memory, platform, Python and the load average (1/5/15 min) now."""
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _commit() -> str:
    proc = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip()


def write_run(bench: str, command: str, payload: dict[str, Any], directory: Path = RESULTS) -> Path:
    """Write one run of ``bench`` as JSON and return its path; ``payload`` is what the run measured."""
    record = {
        "bench": bench,
        "command": command,
        "commit": _commit(),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine_after": machine(),
        **payload,
    }
    path = directory / bench / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return path
