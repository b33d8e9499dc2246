"""The service as ``benchmarks/load_bench.py`` starts it: the usual factory, its clock in a bid window.

``uvicorn benchmarks.load_app:create --factory --workers N``; settings come from the environment as
for ``ftr serve``; ``BENCH_CLOCK_OFFSET_S`` shifts the server clock (seconds) so that the auction's
window is open while the benchmark runs.
"""

from __future__ import annotations

import os
from datetime import timedelta

from fastapi import FastAPI

from app.clock import OffsetClock
from app.main import create_app


def create() -> FastAPI:
    offset = timedelta(seconds=float(os.environ.get("BENCH_CLOCK_OFFSET_S", "0")))
    return create_app(clock=OffsetClock(offset))
