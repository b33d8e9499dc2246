"""Project-wide test settings.

Hypothesis: no per-example deadline (a shared 2-core machine makes wall-clock deadlines flaky; speed
is measured by the benchmarks, never by tests), and derandomised under CI so a run is reproducible.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("project", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "project-ci",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("project-ci" if os.environ.get("CI") else "project")
