"""``ftr create-auction``: create the monthly auction on a network version (and open it with ``--open``).

``--contingencies`` chooses what its clearing checks: ``network`` (default: the version's own list),
``none``, ``all`` (full N-1), a CONT.csv ``contingency_id,branch_id`` (rows with one id form one
contingency), or a MATPOWER change table (``contab``: a ``.m`` function or the seven-column CSV, whose
name and SHA-256 the auction keeps; generator outages in it are not secured, docs/rules.md), as
``ftr clear --contingencies`` reads them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlmodel import Session

from app.auctions.contab_upload import ContabFile, read_contab_upload
from app.auctions.service import AuctionService
from app.clock import SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ServiceError
from app.networks.outages import network_from_document
from app.networks.service import NetworkService
from auction.files import InputFileError, read_contingencies
from network.contab import is_contab_csv


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("create-auction", help="create a monthly auction (on- and off-peak)")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--month", type=int, required=True, choices=range(1, 13), metavar="1..12")
    parser.add_argument("--network-version", type=int, required=True, help="network version id")
    parser.add_argument("--open", action="store_true", help="open the auction for bids right away")
    parser.add_argument(
        "--contingencies",
        default="network",
        help="network (default), none, all (full N-1), CONT.csv (contingency_id,branch_id) or a MATPOWER "
        "change table (contab .m, or .csv with label,probability,table,row,column,change_type,new_value)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = command_engine()
    now = SystemClock().now()
    try:
        with transaction(engine) as session:
            contingency_set, contingencies, contab = _contingencies(
                session, args.network_version, args.contingencies
            )
            service = AuctionService(session)
            view = service.create(
                year=args.year,
                month=args.month,
                network_version_id=args.network_version,
                scheduled_outages=(),
                loop_flow_mw={},
                now=now,
                contingency_set=contingency_set,
                contingencies=contingencies,
                contab=contab,
            )
            assert view.auction.id is not None
            if args.open:
                view = service.open(view.auction.id, now)
    except ServiceError as exc:
        return report(exc)
    except InputFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    a = view.auction
    print(
        f"auction {a.id} for {a.year}-{a.month:02d}: {view.status.value}; window "
        f"{a.opens_at.isoformat()} to {a.closes_at.isoformat()}; contingencies {a.contingency_set}"
        + (f" ({len(json.loads(a.contingencies))})" if a.contingency_set == "list" else "")
        + (f" from {contab.name} (sha256 {contab.sha256[:12]}...)" if contab is not None else "")
    )
    if contab is not None and contab.generator_outages:
        print(
            f"{contab.name}: {contab.generator_outages} generator outage rows read and not secured "
            "(they do not change the network's flows; docs/rules.md)",
            file=sys.stderr,
        )
    return 0


_SETS = {"network": "network", "none": "none", "all": "all_n_1"}


def _contingencies(
    session: Session, version_id: int, option: str
) -> tuple[str, list[tuple[str, tuple[str, ...]]], ContabFile | None]:
    """``(contingency_set, contingencies, change table)`` from ``--contingencies``: a set's name, a
    CONT.csv file or a MATPOWER change table."""
    if option in _SETS:
        return _SETS[option], [], None
    document = NetworkService(session).get(version_id).document
    path = Path(option)
    if path.suffix.lower() == ".m" or is_contab_csv(path):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputFileError(path.name, None, None, f"cannot be read ({exc.strerror})") from None
        contab = read_contab_upload(document, path.name, data, "")
        return "list", list(contab.contingencies), contab
    branches = network_from_document(document).branch_ids
    return "list", [(c.id, c.branch_ids) for c in read_contingencies(path, branches)], None
