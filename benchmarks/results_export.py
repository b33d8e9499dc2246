"""Service memory of a large posted-results download: the awards of a 100,000-award auction.

    python -m benchmarks.results_export --postgres URL [--awards 100000]

In a throwaway PostgreSQL schema: migrate, then store a posted auction with ``--awards`` cleared bids of
200 traders directly (one insert per table, no clearing), start the service (``uvicorn
app.main:create_app --factory``, one process, a free port) and download, as one trader, the
class auction's awards as streamed CSV, then as streamed Parquet. The server's resident memory
(``VmRSS``) is read before the downloads and its peak (``VmHWM`` from ``/proc``) after each, so each
figure is the peak up to that point. Written to ``benchmarks/results/results_export/`` as JSON;
``docs/benchmarks/settlement_service.md`` is the reference page.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import sqlalchemy as sa

from app.auctions.tables import Auction, ClassAuction
from app.bid_fills import BidFill
from app.bids.tables import Bid
from app.db import create_db_engine, transaction
from app.migrations import upgrade
from app.networks.tables import NetworkVersion
from app.participants.roles import Role
from app.participants.service import ParticipantService
from benchmarks.results import write_run

SECRET = "bench-results-secret-0123456789"
NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
TRADERS = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _store(engine: sa.Engine, awards: int, seed: int = 5) -> tuple[int, str]:
    """A posted auction with ``awards`` cleared bids; ``(auction_id, a trader's API key)``."""
    rng = np.random.default_rng(seed)
    with transaction(engine) as session:
        people = ParticipantService(session, SECRET)
        oi = people.create(name="The OI", role=Role.OPERATOR, credit_limit_cents=0, now=NOW)
        traders = [
            people.create(name=f"trader-{i:03d}", role=Role.TRADER, credit_limit_cents=0, now=NOW)
            for i in range(TRADERS)
        ]
        key = people.issue_key(traders[0], now=NOW).secret_key
        network = session.execute(
            sa.insert(NetworkVersion).returning(NetworkVersion.id),  # type: ignore[arg-type]
            {
                "content_hash": uuid.uuid4().hex * 2,
                "name": "bench",
                "source_format": "json",
                "document": "{}",
                "n_buses": 0,
                "n_branches": 0,
                "n_pricing_points": 0,
                "created_by_id": oi.id,
                "created_at": NOW,
            },
        ).scalar_one()
        auction = Auction(
            year=2027,
            month=2,
            network_version_id=network,
            status="posted",
            opens_at=NOW,
            closes_at=NOW,
            created_at=NOW,
            posted_at=NOW,
        )
        session.add(auction)
        session.flush()
        on_peak = ClassAuction(auction_id=auction.id, period_class="on_peak", hours=320)
        session.add(on_peak)
        session.flush()
        assert auction.id is not None and on_peak.id is not None
        auction_id, class_id = auction.id, on_peak.id
        ids = [t.id for t in traders]
    nodes = rng.integers(0, 20_000, size=(awards, 2))
    for start in range(0, awards, 20_000):
        rows = range(start, min(awards, start + 20_000))
        with transaction(engine) as session:
            bid_ids = session.execute(
                sa.insert(Bid).returning(Bid.id),  # type: ignore[arg-type]
                [
                    {
                        "participant_id": ids[i % TRADERS],
                        "auction_id": auction_id,
                        "class_auction_id": class_id,
                        "period_class": "on_peak",
                        "side": "buy",
                        "source": f"n{nodes[i, 0]}",
                        "sink": f"n{(nodes[i, 0] + 1 + nodes[i, 1] % 19_999) % 20_000}",
                        "hedge": "obligation",
                        "mw_tenths": 100,
                        "price_cents": 5_000,
                        "status": "cleared",
                        "credit_cents": 0,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in rows
                ],
            ).scalars()
            session.execute(
                sa.insert(BidFill),
                [
                    {
                        "bid_id": b,
                        "class_auction_id": class_id,
                        "cleared_mw_tenths": int(rng.integers(1, 1001)),
                        "clearing_price_cents": int(rng.integers(-5_000, 20_000)),
                    }
                    for b in bid_ids
                ],
            )
    return auction_id, key


def _download(client: httpx.Client, url: str, key: str) -> tuple[float, int]:
    start = time.perf_counter()
    size = 0
    with client.stream("GET", url, headers={"Authorization": f"Bearer {key}"}) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - start, size


def run(postgres_url: str, awards: int) -> dict[str, Any]:
    schema = f"b_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = create_db_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
        upgrade(engine)
        started = time.perf_counter()
        auction_id, key = _store(engine, awards)
        stored_s = time.perf_counter() - started
        engine.dispose()
        return {"store_s": stored_s, **_serve_and_download(postgres_url, schema, auction_id, key)}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _serve_and_download(postgres_url: str, schema: str, auction_id: int, key: str) -> dict[str, Any]:
    port = _free_port()
    separator = "&" if "?" in postgres_url else "?"
    env = {
        **os.environ,
        "DATABASE_URL": f"{postgres_url}{separator}options={quote(f'-csearch_path={schema}')}",
        "FTR_ENV": "development",
        "FTR_SECRET_KEY": SECRET,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=600) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get(f"{base}/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the service did not start")
                time.sleep(0.5)
            results = f"{base}/api/v1/auctions/{auction_id}/results/on_peak"
            out["rss_before_mib"] = _kib(server.pid, "VmRSS") / 1024
            for name, url in (
                ("csv", results + "/awards.csv"),
                ("parquet", results + "/awards.parquet"),
            ):
                seconds, size = _download(client, url, key)
                out[f"{name}_s"] = seconds
                out[f"{name}_bytes"] = size
                out[f"peak_after_{name}_mib"] = _kib(server.pid, "VmHWM") / 1024
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--awards", type=int, default=100_000)
    args = parser.parse_args()
    result = run(args.postgres, args.awards)
    print(result, flush=True)
    command = f"python -m benchmarks.results_export --postgres $URL --awards {args.awards}"
    write_run("results_export", command, {"awards": args.awards, "traders": TRADERS, **result})


if __name__ == "__main__":
    main()
