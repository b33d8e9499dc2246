"""``ftr worker`` for the queue tests, with a pause the test can kill it in.

``FTR_TEST_PAUSE_IN`` = ``solve`` (at the start of the first class's solve, in the worker process,
before the solver's child process starts) or ``store`` (inside the results transaction, after the
fills were written); ``FTR_TEST_PAUSE_S`` is how long. ``FTR_TEST_FAIL_CONNECT`` = N makes the first
N snapshots fail as if the database connection had dropped (a transient failure the queue retries);
with ``FTR_TEST_DB_AWAY_S`` = S as well, the database then stays away for S seconds after the Nth
failure (every statement of the worker's engine fails), so recording the job's failure fails too.
Without them this is plain ``ftr worker``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy as sa

import app.clearing.tasks as clearing_tasks
from app.clearing.repository import ClearingRepository
from app.cli import main


def _install_pause(where: str, seconds: float) -> None:
    if where == "solve":
        real_solver = clearing_tasks.run_solver

        def slow_solver(fn: Callable[..., Any], arg: Any, **kwargs: Any) -> Any:
            time.sleep(seconds)
            return real_solver(fn, arg, **kwargs)

        clearing_tasks.run_solver = slow_solver
    elif where == "store":
        real = ClearingRepository.add_nodal_prices

        def slow_prices(self: ClearingRepository, class_auction_id: int, rows: Any) -> None:
            real(self, class_auction_id, rows)
            time.sleep(seconds)

        ClearingRepository.add_nodal_prices = slow_prices  # type: ignore[method-assign]


def _install_connection_failures(times: int, away_s: float) -> None:
    real_snapshot = clearing_tasks.snapshot
    left = [times]
    away_until = [0.0]

    def database_away(*_: Any) -> None:
        if time.monotonic() < away_until[0]:
            raise psycopg.OperationalError("connection refused (test: the database is away)")

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", database_away)

    def failing_snapshot(engine: Any, job_id: int) -> Any:
        if left[0] > 0:
            left[0] -= 1
            if left[0] == 0 and away_s > 0:
                away_until[0] = time.monotonic() + away_s
            raise psycopg.OperationalError("server closed the connection unexpectedly (test)")
        return real_snapshot(engine, job_id)

    clearing_tasks.snapshot = failing_snapshot


if __name__ == "__main__":
    pause_in = os.environ.get("FTR_TEST_PAUSE_IN")
    if pause_in:
        _install_pause(pause_in, float(os.environ.get("FTR_TEST_PAUSE_S", "30")))
    failures = int(os.environ.get("FTR_TEST_FAIL_CONNECT", "0"))
    if failures:
        _install_connection_failures(failures, float(os.environ.get("FTR_TEST_DB_AWAY_S", "0")))
    sys.exit(main(["worker", *sys.argv[1:]]))
