"""``ftr serve``: run the HTTP service with uvicorn (``--migrate`` first brings the database to head)."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from app.commands.runtime import command_engine
from app.db_pool import share_pool_among
from app.migrations import upgrade
from app.observability import configure_logging
from app.settings import Settings

STARTUP_S = 120
"""How long an API process may take to import and start before uvicorn's supervisor restarts it."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--migrate", action="store_true", help="apply database migrations before serving")
    parser.add_argument(
        "--workers", type=int, default=1, help="API processes (more than one needs FTR_JOB_QUEUE=postgres)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        print("ftr serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and Settings().job_queue != "postgres":
        print(
            "ftr serve: several API processes need the PostgreSQL job queue (FTR_JOB_QUEUE=postgres "
            "and ftr worker); in-process jobs belong to one process",
            file=sys.stderr,
        )
        return 2
    try:
        share_pool_among(Settings().database_url, args.workers)
    except ValueError as exc:
        print(f"ftr serve: {exc}", file=sys.stderr)
        return 2
    if args.migrate:
        engine = command_engine()
        upgrade(engine)
        engine.dispose()
    json_logs = configure_logging()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None if json_logs else uvicorn.config.LOGGING_CONFIG,
        timeout_worker_healthcheck=STARTUP_S,
    )
    return 0
