"""``ftr worker [--concurrency N]``: run the jobs queued on PostgreSQL (``FTR_JOB_QUEUE=postgres``).

A worker takes clearing, settlement and forecast jobs from the queue (:mod:`app.jobs.queue`), runs
their tasks and records everything on the ``job`` row. Several workers, on one or several machines,
share the database; a worker killed mid-job stops sending heartbeats and its job is run again by a
live worker after ``FTR_JOB_STALLED_S``. SIGINT or SIGTERM stop it after its running jobs finish.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from prometheus_client import CollectorRegistry, start_http_server

import app.bids.award_credit  # (a settled month releases its awards' credit, in the run's transaction)
import app.clearing.tasks
import app.forecast.tasks
import app.settlement.tasks  # noqa: F401  (the task bodies register themselves)
from app.clock import Clock, MovableClock, SystemClock
from app.db import create_db_engine
from app.jobs.queue import Queue
from app.market_clock.service import sync_market_clock
from app.observability import JobTableCollector, configure_logging
from app.settings import MarketClockMode, Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("worker", help="run queued jobs (PostgreSQL queue)")
    parser.add_argument("--concurrency", type=int, default=1, help="jobs run at once by this process")
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve the job metrics (read from the job table, as the API's /metrics) on this port",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.database_url.startswith("postgresql"):
        print("ftr worker: the job queue needs a PostgreSQL DATABASE_URL", file=sys.stderr)
        return 2
    if args.concurrency < 1:
        print("ftr worker: --concurrency must be at least 1", file=sys.stderr)
        return 2
    configure_logging()
    engine = create_db_engine(settings.database_url)
    if args.metrics_port is not None:  # the job table's metrics, as the API's /metrics serves them
        registry = CollectorRegistry()
        registry.register(JobTableCollector(engine))
        start_http_server(args.metrics_port, registry=registry)
    clock: Clock = SystemClock()
    if settings.market_clock_mode is MarketClockMode.MOVABLE:  # the OI's market clock, as the API reads it
        clock = MovableClock(SystemClock())
    queue = Queue(
        settings.database_url,
        engine,
        clock=clock,
        before_job=lambda: sync_market_clock(engine, clock),
        isolate=settings.job_solve_process,
        preload="app.clearing.engine",
    )
    try:
        asyncio.run(
            queue.work(
                concurrency=args.concurrency,
                heartbeat_s=settings.job_heartbeat_s,
                stalled_s=settings.job_stalled_s,
            )
        )
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()
    return 0
