"""Portal page-time benchmark: server time of every page on the demo market and on 100,000-row tables.

    python -m benchmarks.portal_bench                 # build the demo, time every page, write JSON
    python -m benchmarks.portal_bench --repeat 9      # more samples per page

The demo market (``ftr demo --no-serve``) is built into a temporary SQLite file; then 100,000 bids of
Demo Trader B are added to the open auction and 100,000 awarded bids (with fills) to the posted
auction's on-peak class, so "my bids" and the public awards table have 100,000 rows. The app runs
in this process (no socket: the time is the server's, from the request to the last byte of the
body), signed in through the portal's own form as each role. Each page is fetched once to warm up,
then ``--repeat`` times; the median and the maximum are reported, with the machine's load. The
target is 300 ms server time for every page. Results: ``benchmarks/results/portal/``; the docs
page is ``docs/benchmarks/portal.md``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.results import machine, write_run

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
BIG_ROWS = 100_000
KEY_LINE = re.compile(
    r"^\s+(Demo [A-Za-z ]+?)\s+(operator|trader|lse|transmission_owner|auditor)\s+(ftr_\S+)$"
)


class ShiftedClock:
    """The system clock shifted to stand where the demo's clock stood when it was built."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def build_demo(path: Path) -> dict[str, str]:
    env = {
        "PYTHONPATH": str(ROOT),
        "FTR_ENV": "development",
        "DATABASE_URL": f"sqlite:///{path}",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--no-serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {m.group(1): m.group(3) for m in map(KEY_LINE.match, done.stdout.splitlines()) if m}


def add_big_tables(engine: Any, trader: str) -> dict[str, int]:
    """100,000 bids of ``trader`` in the open auction; 100,000 awarded bids in the posted one."""
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from app.auctions.tables import Auction, ClassAuction
    from app.bid_fills import BidFill
    from app.bids.tables import Bid
    from app.participants.tables import Participant

    with Session(engine) as session:
        pid = session.exec(select(Participant.id).where(Participant.name == trader)).one()
        ids = {a.status: a for a in session.exec(select(Auction)).all()}
        out: dict[str, int] = {}
        for status in ("open", "posted"):
            auction = ids[status]
            cls = session.exec(
                select(ClassAuction).where(
                    ClassAuction.auction_id == auction.id, ClassAuction.period_class == "on_peak"
                )
            ).one()
            points = [
                b.source
                for b in session.exec(select(Bid).where(Bid.auction_id == auction.id).limit(50)).all()
            ]
            points = sorted(set(points)) if len(set(points)) > 1 else ["1", "2"]
            now = datetime.now(UTC)
            first = (session.exec(select(Bid.id).order_by(Bid.id.desc())).first() or 0) + 1  # type: ignore[union-attr]
            rows: list[dict[str, Any]] = [
                {
                    "id": first + i,
                    "participant_id": pid,
                    "auction_id": auction.id,
                    "class_auction_id": cls.id,
                    "period_class": "on_peak",
                    "side": "buy",
                    "source": points[i % len(points)],
                    "sink": points[
                        (i % len(points) + 1 + (i // len(points)) % (len(points) - 1)) % len(points)
                    ],
                    "hedge": "obligation",
                    "mw_tenths": 10 + i % 50,
                    "price_cents": (i * 7919) % 500_000,
                    "status": "active",
                    "credit_cents": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(BIG_ROWS)
            ]
            session.execute(insert(Bid), rows)
            if status == "posted":
                fills = [
                    {
                        "bid_id": r["id"],
                        "class_auction_id": cls.id,
                        "cleared_mw_tenths": r["mw_tenths"],
                        "clearing_price_cents": r["price_cents"] // 3,
                    }
                    for r in rows
                ]
                session.execute(insert(BidFill), fills)
            out[status] = int(auction.id)  # type: ignore[arg-type]
        session.commit()
    return out


def sign_in(client: Any, key: str) -> None:
    page = client.get("/portal/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/portal/sign-in", data={"csrf": csrf, "api_key": key, "next": "/portal"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def time_page(client: Any, url: str, repeat: int) -> dict[str, Any]:
    r = client.get(url)
    assert r.status_code in (200, 404), (url, r.status_code, r.text[:300])
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        _ = r.content
        samples.append((time.perf_counter() - t0) * 1000)
    return {
        "url": url,
        "status": r.status_code,
        "bytes": len(r.content),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from fastapi.testclient import TestClient
    from sqlmodel import select

    from app.auctions.tables import Auction
    from app.commands.demo import demo_clock
    from app.db import create_db_engine
    from app.main import create_app
    from app.settings import Environment, Settings

    load_before = machine()["load_average"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite3"
        t0 = time.perf_counter()
        keys = build_demo(db)
        build_s = time.perf_counter() - t0
        clock, _, _ = demo_clock(datetime.now(UTC))
        url = f"sqlite:///{db}"
        engine = create_db_engine(url)
        from sqlmodel import Session

        with Session(engine) as session:
            auctions = {a.status: int(a.id) for a in session.exec(select(Auction)).all()}  # type: ignore[arg-type]
        settings = Settings(env=Environment.DEVELOPMENT, database_url=url, job_workers=1)
        app = create_app(settings, clock=ShiftedClock(clock.now() - datetime.now(UTC)), engine=engine)
        posted, open_ = auctions["posted"], auctions["open"]
        demo_pages: dict[str, list[str]] = {
            "public": [
                "/portal",
                f"/portal/results/{posted}/on_peak",
                f"/portal/results/{posted}/off_peak",
                f"/portal/results/{posted}/network",
                "/portal/sign-in",
            ],
            "Demo Trader A": [
                "/portal",
                f"/portal/auctions/{open_}",
                f"/portal/auctions/{posted}",
                f"/portal/path-price?auction_id={posted}&period_class=on_peak&source=189&sink=121",
                "/portal/statement",
                "/portal/portfolio",
            ],
            "Demo LSE": ["/portal", "/portal/statement", "/portal/allocations", "/portal/portfolio"],
            "Demo OI": [
                "/portal",
                f"/portal/auctions/{open_}",
                f"/portal/auctions/{posted}",
                "/portal/audit",
                "/portal/participants",
                "/portal/networks",
                "/portal/networks/1",
                "/portal/settlement/runs",
            ],
            "Demo Auditor": ["/portal/audit", "/portal/audit?action=bid", "/portal/audit?sort=action&page=3"],
        }
        rows: list[dict[str, Any]] = []
        with TestClient(app) as client:
            for who, pages in demo_pages.items():
                client.cookies.clear()
                if who != "public":
                    sign_in(client, keys[who])
                for page in pages:
                    rows.append({"table": "demo", "who": who, **time_page(client, page, args.repeat)})
                    print(rows[-1], flush=True)
            big = add_big_tables(engine, "Demo Trader B")
            big_pages = {
                "Demo Trader B": [
                    f"/portal/auctions/{big['open']}",
                    f"/portal/auctions/{big['open']}?sort=price&dir=desc&page=2000",
                    f"/portal/auctions/{big['open']}?source=1&sort=mw",
                ],
                "public": [
                    f"/portal/results/{big['posted']}/on_peak",
                    f"/portal/results/{big['posted']}/on_peak?sort=clearing_price&dir=desc&page=2000",
                    f"/portal/results/{big['posted']}/on_peak?participant=trader%20b&sort=mw",
                ],
            }
            for who, pages in big_pages.items():
                client.cookies.clear()
                if who != "public":
                    sign_in(client, keys[who])
                for page in pages:
                    rows.append({"table": "100k", "who": who, **time_page(client, page, args.repeat)})
                    print(rows[-1], flush=True)
            client.cookies.clear()
            sign_in(client, keys["Demo Trader B"])
            t0 = time.perf_counter()
            csv = client.get(f"/portal/auctions/{big['open']}/bids.csv")
            csv_s = time.perf_counter() - t0
            csv_rows = csv.text.count("\n") - 1
            t0 = time.perf_counter()
            awards_csv = client.get(f"/portal/results/{big['posted']}/on_peak/awards.csv")
            awards_csv_s = time.perf_counter() - t0
            awards_csv_rows = awards_csv.text.count("\n") - 1
    worst = max(r["median_ms"] for r in rows)
    payload = {
        "build_demo_s": round(build_s, 1),
        "repeat": args.repeat,
        "target_ms": TARGET_MS,
        "load_before": load_before,
        "pages": rows,
        "worst_median_ms": worst,
        "over_target": [r["url"] for r in rows if r["median_ms"] > TARGET_MS],
        "csv_100k": {"rows": csv_rows, "seconds": round(csv_s, 2)},
        "awards_csv_100k": {"rows": awards_csv_rows, "seconds": round(awards_csv_s, 2)},
    }
    write_run("portal", "python -m benchmarks.portal_bench " + " ".join(argv or sys.argv[1:]), payload)
    print(
        f"worst median {worst} ms; over {TARGET_MS} ms: {payload['over_target']}; "
        f"CSV {csv_rows} rows in {csv_s:.2f} s; awards CSV {awards_csv_rows} rows in {awards_csv_s:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
