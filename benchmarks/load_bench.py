"""Load benchmark of the bid intake: a live service on PostgreSQL driven by an httpx async load generator.

    python -m benchmarks.load_bench [--workers 2] [--clients 1 10 100] [--seconds 5] [--offered 200]
                                    [--bulk 20000 100000] [--traders 20] [--postgres URL]

Starts ``uvicorn benchmarks.load_app:create --factory --workers N`` on a free local port against a
throwaway PostgreSQL schema (migrated first), creates the OI, ``--traders`` traders, the
``case_ACTIVSg200`` network and an open auction, then measures:

* **closed loop**: for each client count C, C clients each send single bids back to back for
  ``--seconds`` (round-robin over the traders); bids/s and latency p50/p95/p99;
* **open loop**: bids offered at a fixed ``--offered`` rate for ``--seconds`` (each on its own
  schedule, whether or not earlier ones have answered); achieved rate and p50/p95/p99;
* **bulk**: one CSV upload of N rows per size; rows/s, or the refusal (status, time to it, the limit
  named), and the peak resident memory of the service's worker processes during the upload over
  their resident memory just before it (sampled every 20 ms from ``/proc``);
* **integrity**: every 201 is one stored bid and nothing else is stored (counted in the database),
  and each trader's credit in use equals the sum over its bids.

The load generator runs on the same machine as the service (both share its cores). Results go to
``benchmarks/results/load/<UTC time>.json`` with the machine and its load before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa

from app.db import create_db_engine, transaction
from app.db_pool import POOL_MAX_ENV, pool_max_per_process, server_max_connections
from app.migrations import upgrade
from app.participants.roles import Role
from app.participants.service import ParticipantService
from benchmarks.bid_path import setup_market
from benchmarks.raw_http import RawPool
from benchmarks.results import machine, write_run
from market_calendar import bid_window

SECRET = "load-benchmark-secret-0123456789abcdef"
YEAR, MONTH = 2027, 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _percentiles(latencies_s: list[float]) -> dict[str, float | None]:
    if not latencies_s:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    ms = np.asarray(latencies_s) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}


def _csv(rows: int, points: list[str], seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["period_class,source,sink,mw,price"]
    for _ in range(rows):
        s, t = rng.sample(points, 2)
        cls = rng.choice(("on_peak", "off_peak"))
        lines.append(f"{cls},{s},{t},{rng.randint(1, 500) / 10:.1f},{rng.uniform(-50, 500):.2f}")
    return ("\n".join(lines) + "\n").encode()


def _bid(rng: random.Random) -> dict[str, str]:
    s, t = rng.sample(range(1, 201), 2)
    return {
        "period_class": rng.choice(("on_peak", "off_peak")),
        "source": str(s),
        "sink": str(t),
        "mw": f"{rng.randint(1, 50) / 10:.1f}",
        "price": f"{rng.uniform(0, 50):.2f}",
    }


def _children(pid: int) -> list[int]:
    """The processes started by ``pid`` (uvicorn's workers), from ``/proc``."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return found


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent during a phase by the generator (this process), the API workers and the
    service's PostgreSQL backends (found by ``application_name``), each per request answered."""

    def __init__(self, server_pid: int, engine: sa.Engine, application_name: str) -> None:
        self.server_pid = server_pid
        self.engine = engine
        self.name = application_name

    def _backends(self) -> list[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"), {"n": self.name}
            ).all()
        return [int(r[0]) for r in rows]

    def snapshot(self) -> dict[str, Any]:
        workers = _children(self.server_pid) or [self.server_pid]
        return {
            "generator": time.process_time(),
            "api": {p: _cpu_s(p) for p in workers},
            "postgres": {p: _cpu_s(p) for p in self._backends()},
            "wall": time.perf_counter(),
        }

    def per_request_ms(self, before: dict[str, Any], requests: int) -> dict[str, float]:
        after = self.snapshot()
        n = max(requests, 1)

        def spent(kind: str) -> float:
            return sum(after[kind][p] - before[kind].get(p, 0.0) for p in after[kind])

        generator = after["generator"] - before["generator"]
        api, postgres = spent("api"), spent("postgres")
        wall = after["wall"] - before["wall"]
        return {
            "generator_cpu_ms": round(1000 * generator / n, 2),
            "api_cpu_ms": round(1000 * api / n, 2),
            "postgres_backends_cpu_ms": round(1000 * postgres / n, 2),
            "cpu_cores_busy": round((generator + api + postgres) / wall, 2),
        }


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Peak RSS of each worker process over its RSS when sampling began (MiB)."""

    def __init__(self, server_pid: int) -> None:
        self.pids = _children(server_pid) or [server_pid]
        self.idle = {p: _rss_kib(p) for p in self.pids}
        self.peak = dict(self.idle)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            for p in self.pids:
                self.peak[p] = max(self.peak[p], _rss_kib(p))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict[str, float]:
        over = max(self.peak[p] - self.idle[p] for p in self.pids)
        return {
            "worker_idle_rss_mib": round(max(self.idle.values()) / 1024, 1),
            "worker_peak_rss_over_idle_mib": round(over / 1024, 1),
        }


class WaitSampler:
    """What the service's PostgreSQL backends are doing, sampled from ``pg_stat_activity`` every 50 ms.

    Counts, per sample, each backend of the service (found by its ``application_name``) as
    ``active`` (running), ``active/<wait type>:<wait event>`` (waiting: a row lock shows as
    ``Lock:transactionid`` or ``Lock:tuple``), ``idle in transaction`` (holding a transaction while
    the API process works) or ``idle`` (in a pool, unused); also the most connections seen.
    """

    def __init__(self, engine: sa.Engine, application_name: str) -> None:
        self.engine = engine
        self.name = application_name
        self.counts: dict[str, int] = {}
        self.samples = 0
        self.max_connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = sa.text(
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE application_name = :n"
        )
        with self.engine.connect() as conn:
            while not self._stop.wait(0.05):
                rows = conn.execute(query, {"n": self.name}).all()
                conn.rollback()
                self.samples += 1
                self.max_connections = max(self.max_connections, len(rows))
                for state, wait_type, wait in rows:
                    key = str(state)
                    if state == "active" and wait_type is not None:
                        key = f"active/{wait_type}:{wait}"
                    self.counts[key] = self.counts.get(key, 0) + 1

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict[str, Any]:
        n = max(self.samples, 1)
        return {
            "samples": self.samples,
            "max_connections": self.max_connections,
            "mean_backends": {
                k: round(v / n, 2) for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])
            },
        }


class Load:
    def __init__(self, http: RawPool, auction_id: int, traders: list[dict[str, str]]) -> None:
        self.http = http
        self.url = f"/api/v1/auctions/{auction_id}/bids"
        self.traders = traders
        self.created = 0
        self.unanswered = 0
        self.failed: dict[int, int] = {}

    async def one(self, i: int, rng: random.Random) -> float:
        t0 = time.perf_counter()
        try:
            r = await self.http.post_json(self.url, _bid(rng), self.traders[i % len(self.traders)])
        except ConnectionError:  # no answer: the bid may or may not be stored (counted apart)
            self.unanswered += 1
            return time.perf_counter() - t0
        elapsed = time.perf_counter() - t0
        if r.status_code == 201:
            self.created += 1
        else:
            self.failed[r.status_code] = self.failed.get(r.status_code, 0) + 1
        return elapsed

    async def closed_loop(self, clients: int, seconds: float) -> dict[str, Any]:
        latencies: list[float] = []
        stop = time.perf_counter() + seconds

        async def client(c: int) -> None:
            rng = random.Random(c)
            i = c
            while time.perf_counter() < stop:
                latencies.append(await self.one(i, rng))
                i += clients

        t0 = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(clients)))
        wall = time.perf_counter() - t0
        return {
            "clients": clients,
            "bids": len(latencies),
            "bids_per_s": round(len(latencies) / wall, 1),
            **_percentiles(latencies),
        }

    async def open_loop(self, rate_per_s: float, seconds: float) -> dict[str, Any]:
        rng = random.Random(7)
        count = int(rate_per_s * seconds)
        t0 = time.perf_counter()

        async def scheduled(k: int) -> float:
            await asyncio.sleep(max(0.0, t0 + k / rate_per_s - time.perf_counter()))
            return await self.one(k, rng)

        latencies = list(await asyncio.gather(*(scheduled(k) for k in range(count))))
        wall = time.perf_counter() - t0
        return {
            "offered_per_s": rate_per_s,
            "bids": count,
            "achieved_per_s": round(count / wall, 1),
            **_percentiles(latencies),
        }


async def _run(
    base_url: str,
    oi_key: str,
    args: argparse.Namespace,
    server_pid: int,
    cpu: CpuMeter,
    waits: WaitSampler | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limits = httpx.Limits(
        max_connections=max(args.clients) + 50, max_keepalive_connections=max(args.clients) + 50
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as http:
        # the OI's market through the API: traders (the first uploads in bulk) and an open auction
        auction_id, traders = await setup_market(http, oi_key, args.traders + 1)
        bulk_trader, traders = traders[0], traders[1:]
        # single bids through the lean client (httpx's own CPU per request would crowd the service)
        raw = RawPool(base_url, max(args.clients) + 50)
        load = Load(raw, auction_id, traders)
        await load.closed_loop(min(args.clients), 1.0)  # warm-up: connections, caches
        out["closed_loop"] = []
        for c in args.clients:
            out["closed_loop"].append(await _sampled(load.closed_loop(c, args.seconds), cpu, waits))
        out["open_loop"] = await _sampled(load.open_loop(args.offered, args.seconds), cpu, waits)
        await raw.aclose()
        out["bulk"] = []
        uploaded = 0
        for rows in args.bulk:
            body = _csv(rows, [str(i) for i in range(1, 201)], seed=rows)
            r: httpx.Response | None = None
            closed = ""
            with RssSampler(server_pid) as rss:
                t0 = time.perf_counter()
                try:
                    r = await http.post(
                        f"/api/v1/auctions/{auction_id}/bids/bulk",
                        content=body,
                        headers={**bulk_trader, "content-type": "text/csv"},
                    )
                except httpx.TransportError as exc:  # refused (413) and closed while the body was still sent
                    closed = type(exc).__name__
                wall = time.perf_counter() - t0
            row: dict[str, Any] = {"rows": rows, "body_mib": round(len(body) / 2**20, 1)}
            row |= {"seconds": round(wall, 2), **rss.result()}
            if r is None:
                row["status"] = f"connection closed by the service while the body was sent ({closed})"
                out["bulk"].append(row)
                continue
            row["status"] = r.status_code
            if r.status_code == 201:
                row["rows_per_s"] = round(rows / wall, 0)
                uploaded += rows
            else:
                problem = r.json()
                row["refused"] = {k: problem.get(k) for k in ("detail", "max_rows")}
            out["bulk"].append(row)
        load.created += uploaded
        out["bulk_stored"] = uploaded
        out["single_created"] = load.created - uploaded
        out["single_refused"] = load.failed
        out["single_unanswered"] = load.unanswered
        out["auction_id"] = auction_id
    return out


async def _sampled(phase: Any, cpu: CpuMeter, waits: WaitSampler | None) -> dict[str, Any]:
    """Run one load phase: its CPU per request by process kind, and the backends' wait events when
    ``waits`` is given."""
    before = cpu.snapshot()
    if waits is None:
        row = dict(await phase)
    else:
        sampler = WaitSampler(waits.engine, waits.name)
        with sampler:
            row = dict(await phase)
        row["postgres_backends"] = sampler.result()
    row["cpu_per_bid"] = cpu.per_request_ms(before, int(row["bids"]))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--offered", type=float, default=200.0)
    parser.add_argument("--bulk", type=int, nargs="*", default=[20_000, 100_000])
    parser.add_argument("--traders", type=int, default=20)
    parser.add_argument(
        "--waits",
        action="store_true",
        help="sample pg_stat_activity during each phase (wait events, connections in use)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()

    schema = f"load_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = create_db_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
    server: subprocess.Popen[bytes] | None = None
    before = machine()
    try:
        upgrade(engine)
        opens_at, _ = bid_window(YEAR, MONTH)
        offset_s = (opens_at + timedelta(hours=1) - datetime.now(UTC)).total_seconds()
        with transaction(engine) as session:
            people = ParticipantService(session, SECRET)
            now = datetime.now(UTC) + timedelta(seconds=offset_s)
            oi = people.create(name="OI", role=Role.OPERATOR, credit_limit_cents=0, now=now)
            oi_key = people.issue_key(oi, now=now).secret_key
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"{args.postgres}?options=-csearch_path%3D{schema}&application_name={schema}",
            "FTR_ENV": "development",
            # One load generator on 127.0.0.1 stands for many clients: no per-address limit.
            "FTR_RATE_LIMIT_ADDRESS_PER_S": "0",
            "FTR_SECRET_KEY": SECRET,
            "BENCH_CLOCK_OFFSET_S": str(offset_s),
            # the pools of the N processes share max_connections, as ftr serve --workers N sets them
            POOL_MAX_ENV: os.environ.get(POOL_MAX_ENV)
            or str(pool_max_per_process(server_max_connections(args.postgres) or 100, args.workers)),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.load_app:create",
                "--factory",
                "--workers",
                str(args.workers),
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--timeout-keep-alive",
                "120",
            ],
            env=env,
        )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300  # a loaded machine starts 4 workers slowly
        while True:
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the service did not start")
            time.sleep(0.3)
        waits = WaitSampler(admin, schema) if args.waits else None
        cpu = CpuMeter(server.pid, admin, schema)
        measured = asyncio.run(_run(base_url, oi_key, args, server.pid, cpu, waits))
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT count(*) FROM bid WHERE auction_id = :a"), {"a": measured["auction_id"]}
            ).scalar_one()
            drift = conn.execute(
                sa.text(
                    "SELECT count(*) FROM credit_position p WHERE p.in_use_cents <> "
                    "(SELECT COALESCE(SUM(b.credit_cents), 0) FROM bid b "
                    "WHERE b.participant_id = p.participant_id AND b.status = 'active') "
                    "OR p.awards_cents <> 0"
                )
            ).scalar_one()
        measured["stored_bids"] = int(stored)
        measured["expected_bids"] = measured["single_created"] + measured["bulk_stored"]
        measured["credit_totals_off"] = int(drift)
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    command = (
        f"python -m benchmarks.load_bench --workers {args.workers} "
        f"--clients {' '.join(map(str, args.clients))} "
        f"--seconds {args.seconds:g} --offered {args.offered:g} --bulk {' '.join(map(str, args.bulk))} "
        f"--traders {args.traders}"
    )
    write_run(
        "load",
        command,
        {"database": "postgresql", "workers": args.workers, "machine_before": before, **measured},
    )
    for row in measured["closed_loop"]:
        print(row)
    print(measured["open_loop"])
    print(measured["bulk"])
    print(
        {
            k: measured[k]
            for k in (
                "stored_bids",
                "expected_bids",
                "credit_totals_off",
                "single_refused",
                "single_unanswered",
            )
        }
    )
    return (
        0
        if 0 <= measured["stored_bids"] - measured["expected_bids"] <= measured["single_unanswered"]
        and measured["credit_totals_off"] == 0
        else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
