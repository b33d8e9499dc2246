"""Project-wide test settings.

Hypothesis: no per-example deadline (a shared 2-core machine makes wall-clock deadlines flaky; speed
is measured by the benchmarks, never by tests), and derandomised under CI so a run is reproducible.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.demo_build import DemoBuild, build_demo

settings.register_profile("project", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "project-ci",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("project-ci" if os.environ.get("CI") else "project")


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """The demo market, built once per test process by ``ftr demo --no-serve`` (tests/demo_build.py)."""
    directory: Path = tmp_path_factory.mktemp("demo-build")
    return build_demo(directory)
