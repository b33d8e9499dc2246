"""Holdings and audit trail in the service: audit appends, chain verification, ledger appends and queries.

    python -m benchmarks.holdings_service [--links 20000] [--holders 200] [--paths 10] [--postgres URL]

For each database (a temporary SQLite file; PostgreSQL in a throwaway schema when ``--postgres``
is given and reachable): (a) ``record_audit`` links, 100 per transaction; (b) ``ftr audit verify``'s
walk of the whole chain; (c) ledger appends through the pure ledger (holders x paths allocation
entries for one month and class, 100 per batch); (d) the OI's portfolio of the month, one holder's
positions at an hour and one offer check. Each run is written to ``benchmarks/results/holdings_service/``
as JSON; ``docs/benchmarks/holdings_service.md`` is the reference page.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.audit.service import record_audit, verify_stored_chain
from app.db import create_db_engine, transaction
from app.holdings.ledger_mapping import holder_name, key_of
from app.holdings.service import HoldingService
from app.migrations import upgrade
from app.participants.roles import Role
from app.participants.service import Caller, ParticipantService
from auction.holdings import OfferClaim, check_offer
from auction.ledger import Origin, Posting
from auction.ledger_queries import holdings_at, portfolio
from auction.ledger_time import DeliveryMonth
from benchmarks.results import write_run

NOW = datetime(2026, 12, 1, tzinfo=UTC)
MONTH = DeliveryMonth(2027, 1)


def _machine() -> str:
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "?",
    )
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, nproc {os.cpu_count()}, memory {int(mem) // 1024} MiB; `uptime`: {load}"


def _measure(engine: Engine, links: int, holders: int, paths: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t = time.perf_counter()
    for start in range(0, links, 100):
        with transaction(engine) as session:
            for i in range(start, min(start + 100, links)):
                record_audit(session, "system", "bench.link", {"i": i, "note": "x" * 40}, at=NOW)
    out["audit_per_s"] = links / (time.perf_counter() - t)
    t = time.perf_counter()
    with transaction(engine) as session:
        verdict = verify_stored_chain(session)
    assert verdict.ok and verdict.checked == links, verdict
    out["verify_per_s"] = links / (time.perf_counter() - t)

    with transaction(engine) as session:
        people = ParticipantService(session, "bench-pepper")
        ids = [
            people.create(name=f"h{i}", role=Role.LSE, credit_limit_cents=0, now=NOW).id
            for i in range(holders)
        ]
    postings = [
        Posting(
            holder_name(int(pid or 0)),
            key_of(MONTH.year, MONTH.month, "on_peak", str(1 + j), "hub", "obligation"),
            100,
            Origin.NSU_ALLOCATION,
            MONTH.first_hour_ending(),
            f"bench:{pid}:{j}",
        )
        for pid in ids
        for j in range(paths)
    ]
    t = time.perf_counter()
    for start in range(0, len(postings), 100):
        with transaction(engine) as session:
            HoldingService(session).append(postings[start : start + 100], now=NOW, lock_debited=False)
    out["entries"] = len(postings)
    out["append_per_s"] = len(postings) / (time.perf_counter() - t)
    with transaction(engine) as session:
        service = HoldingService(session)
        t = time.perf_counter()
        lines = portfolio(service.ledger([MONTH]), MONTH)
        out["portfolio_s"] = time.perf_counter() - t
        assert len(lines) == len(postings)
        caller = Caller(int(ids[0] or 0), "h0", Role.LSE)
        t = time.perf_counter()
        mine = service.positions_at(caller, datetime(2027, 1, 15, 17, tzinfo=UTC), holder_id=None)
        out["positions_s"] = time.perf_counter() - t
        assert len(mine) == paths
        t = time.perf_counter()
        ledger = service.ledger([MONTH], holder_id=ids[0])
        verdict_offer = check_offer(
            ledger, OfferClaim("o", holder_name(int(ids[0] or 0)), mine[0].key, 50), []
        )
        out["offer_check_s"] = time.perf_counter() - t
        assert verdict_offer.accepted
        assert holdings_at(ledger, datetime(2027, 1, 15, 17, tzinfo=UTC))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--holders", type=int, default=100)
    parser.add_argument("--paths", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(engine)
        results["sqlite"] = _measure(engine, args.links, args.holders, args.paths)
        engine.dispose()
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = create_db_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
            upgrade(engine)
            results["postgresql"] = _measure(engine, args.links, args.holders, args.paths)
            engine.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    lines = [
        "# Holdings and audit trail in the service",
        "",
        f"Command: `python -m benchmarks.holdings_service --links {args.links} --holders {args.holders} "
        f"--paths {args.paths}{' --postgres $TEST_POSTGRES_URL' if args.postgres else ''}`",
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')}; machine: {_machine()}",
        "(the machine is shared with other work: read the load average).",
        "",
        "| database | audit appends | chain verify | ledger appends (pure-ledger checked) | "
        "OI portfolio of the month | one holder's positions at an hour | one offer check |",
        "|---|---|---|---|---|---|---|",
    ]
    for db, r in results.items():
        lines.append(
            f"| {db} | {r['audit_per_s']:.0f} links/s | {r['verify_per_s']:.0f} links/s | "
            f"{r['append_per_s']:.0f} entries/s ({r['entries']} entries) | "
            f"{r['portfolio_s'] * 1000:.0f} ms | "
            f"{r['positions_s'] * 1000:.1f} ms | {r['offer_check_s'] * 1000:.1f} ms |"
        )
    print("\n".join(lines))
    write_run("holdings_service", lines[2].removeprefix("Command: ").strip("`"), {"results": results})


if __name__ == "__main__":
    main()
