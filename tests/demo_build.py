"""One ``ftr demo --no-serve`` build per test process, shared by the tests that need a built demo.

Building the demo market takes tens of seconds (it clears, posts, settles and forecasts a month), so
the browser journeys (which copy the file for each live server) and the "a fresh process prints no
solver banner" check read the same build. They are in one file (tests/browser/test_journeys.py), and
a parallel run sends a whole file to one process (``--dist=loadfile``), so the demo is built once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 900
KEY_LINE = re.compile(
    r"^\s+(Demo [A-Za-z ]+?)\s+(operator|trader|lse|transmission_owner|auditor)\s+(ftr_\S+)$"
)


@dataclass(frozen=True)
class DemoBuild:
    path: Path
    """the built SQLite file (copy it before serving: tests must not change it)"""
    returncode: int
    stdout: str
    stderr: str

    @property
    def keys(self) -> dict[str, str]:
        """participant name -> API key, as the build printed them"""
        return {m.group(1): m.group(3) for m in map(KEY_LINE.match, self.stdout.splitlines()) if m}


def clean_env() -> dict[str, str]:
    """A subprocess environment: this process's, less every setting of the service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTR_") and k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    env["FTR_ENV"] = "development"
    return env


def build_demo(directory: Path) -> DemoBuild:
    """Run ``ftr demo --no-serve`` in a new process into ``directory/demo.sqlite3`` (as ``make demo``)."""
    path = directory / "demo.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--no-serve"],
        cwd=ROOT,
        env={**clean_env(), "DATABASE_URL": f"sqlite:///{path}"},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    return DemoBuild(path, done.returncode, done.stdout, done.stderr)
