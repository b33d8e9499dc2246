"""The service as ``benchmarks/load_bench.py`` starts it: the usual factory, its clock in a bid window.

``uvicorn benchmarks.load_app:create --factory --workers N``; settings come from the environment as
for ``ftr serve``; ``BENCH_CLOCK_OFFSET_S`` shifts the server clock (seconds) so that the auction's
window is open while the benchmark runs. The shifted clock is a plain clock (not the movable market
clock of development deployments), so requests read no stored offset, as in production.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from fastapi import FastAPI

from app.clock import SystemClock
from app.main import create_app


class ShiftedClock:
    """The system clock plus a fixed offset."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset
        self.base = SystemClock()

    def now(self) -> datetime:
        return self.base.now() + self.offset


def create() -> FastAPI:
    offset = timedelta(seconds=float(os.environ.get("BENCH_CLOCK_OFFSET_S", "0")))
    return create_app(clock=ShiftedClock(offset))
