"""``ftr create-auction``: create the monthly auction on a network version (and open it with ``--open``)."""

from __future__ import annotations

import argparse

from app.auctions.service import AuctionService
from app.clock import SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ServiceError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("create-auction", help="create a monthly auction (on- and off-peak)")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--month", type=int, required=True, choices=range(1, 13), metavar="1..12")
    parser.add_argument("--network-version", type=int, required=True, help="network version id")
    parser.add_argument("--open", action="store_true", help="open the auction for bids right away")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = command_engine()
    now = SystemClock().now()
    try:
        with transaction(engine) as session:
            service = AuctionService(session)
            view = service.create(
                year=args.year,
                month=args.month,
                network_version_id=args.network_version,
                scheduled_outages=(),
                loop_flow_mw={},
                now=now,
            )
            assert view.auction.id is not None
            if args.open:
                view = service.open(view.auction.id, now)
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    a = view.auction
    print(
        f"auction {a.id} for {a.year}-{a.month:02d}: {view.status.value}; window "
        f"{a.opens_at.isoformat()} to {a.closes_at.isoformat()}"
    )
    return 0
