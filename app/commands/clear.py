"""``ftr clear``: clear one FTR auction offline from files (for the OI and for auditors).

    ftr clear --network NET --bids BIDS.csv [--offers OFFERS.csv] [--held HELD.csv]
              [--contingencies CONT.csv|all] [--outages OUT.csv] [--loop-flow LOOP.csv]
              [--warm-start WARM.csv] [--bid-pricing] --out DIR

NET is a MATPOWER ``.m`` case or our JSON network. File formats: :mod:`auction.files`. Every input is
read and checked before anything is solved; an error names the file, row and column, exits with
code 2 and writes nothing to DIR. A solved auction exits 0; a base model that is infeasible or a solver
limit exits 1 (its status is in ``summary.json``). While it runs, one line per phase and LP round
(rows added, bid groups priced in, violations, objective, elapsed time, peak memory) goes to stderr
(:mod:`feasibility.progress`); the solver's own log goes to the Python log, not the terminal.

``--warm-start`` starts the LP with the rows of an earlier clearing's ``constraints.csv`` (clear one
period class of the month, then the other from its binding rows; or start from the last clearing of
the same network): the same result in fewer rounds. ``--bid-pricing`` prices bids in and out of the
LP each round instead of keeping every bid in it (``ClearingOptions.price_columns``); same result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Literal

from auction.bids import BidError
from auction.clearing import clear_auction
from auction.files import (
    InputFileError,
    read_bids,
    read_contingencies,
    read_held,
    read_loop_flow,
    read_offers,
    read_outages,
    read_warm_start,
    render_outputs,
    write_outputs,
)
from feasibility.progress import ProgressEvent, format_event
from feasibility.result import ClearingOptions, Status
from network.constraints import monitored_constraints
from network.errors import NetworkError
from network.model import Contingency, Network, PeriodConditions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("clear", help="clear an FTR auction from files")
    parser.add_argument("--network", required=True, help="MATPOWER .m case or JSON network")
    parser.add_argument(
        "--bids", required=True, help="BIDS.csv: bid_id,participant,source,sink,mw,price[,hedge]"
    )
    parser.add_argument("--offers", help="OFFERS.csv: offer_id,participant,source,sink,mw,price")
    parser.add_argument("--held", help="HELD.csv: holder,source,sink,mw")
    parser.add_argument("--contingencies", help="CONT.csv (contingency_id,branch_id) or 'all' for full N-1")
    parser.add_argument("--outages", help="OUT.csv: branch_id")
    parser.add_argument("--loop-flow", dest="loop_flow", help="LOOP.csv: constraint_id,mw")
    parser.add_argument(
        "--warm-start",
        dest="warm_start",
        help="WARM.csv (an earlier constraints.csv): rows to start the LP with",
    )
    parser.add_argument(
        "--bid-pricing",
        dest="bid_pricing",
        action="store_true",
        help="price bids in and out of the LP each round (column generation; same result)",
    )
    parser.add_argument("--out", required=True, help="output directory")
    parser.set_defaults(func=run)


def load_network(path: Path) -> Network:
    if not path.is_file():
        raise InputFileError(path.name, None, None, "file not found")
    try:
        if path.suffix == ".m":
            from network.matpower import load_matpower

            net: Network = load_matpower(path)
            return net
        if path.suffix == ".json":
            from network.json_format import load_network_json

            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputFileError(path.name, None, None, f"is not valid JSON ({exc})") from None
            net = load_network_json(data)
            return net
    except NetworkError as exc:
        raise InputFileError(path.name, None, None, str(exc)) from None
    raise InputFileError(path.name, None, None, "network must be a MATPOWER .m file or a .json network")


def _print_progress(event: ProgressEvent) -> None:
    print(f"ftr clear: {format_event(event)}", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def run(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise InputFileError(str(out_dir), None, None, "--out exists and is not a directory")
        net_path = Path(args.network)
        net = load_network(net_path)
        points = set(net.bus_ids) | {p.id for p in net.pricing_points}
        branches = set(net.branch_ids)
        inputs: dict[str, Path] = {"network": net_path, "bids": Path(args.bids)}
        bids = read_bids(Path(args.bids), points)
        offers = []
        held = []
        if args.offers:
            inputs["offers"] = Path(args.offers)
            offers = read_offers(inputs["offers"], points)
        if args.held:
            inputs["held"] = Path(args.held)
            held = read_held(inputs["held"], points)
        outages: tuple[str, ...] = ()
        if args.outages:
            inputs["outages"] = Path(args.outages)
            outages = read_outages(inputs["outages"], branches)
        contingencies: list[Contingency] | Literal["all"] | None = None
        if args.contingencies == "all":
            contingencies = "all"
        elif args.contingencies:
            inputs["contingencies"] = Path(args.contingencies)
            contingencies = read_contingencies(inputs["contingencies"], branches)
        loop: dict[str, float] = {}
        if args.loop_flow:
            inputs["loop_flow"] = Path(args.loop_flow)
            monitored = monitored_constraints(net, PeriodConditions(scheduled_outages=outages)).ids
            loop = read_loop_flow(inputs["loop_flow"], set(monitored))
        warm: list[tuple[str, str | None, int]] = []
        if args.warm_start:
            inputs["warm_start"] = Path(args.warm_start)
            warm = read_warm_start(inputs["warm_start"])
        conditions = PeriodConditions(scheduled_outages=outages, loop_flow_mw=loop)
        result = clear_auction(
            net,
            bids,
            offers,
            held,
            conditions=conditions,
            contingencies=contingencies,
            options=ClearingOptions(price_columns=args.bid_pricing),
            progress=_print_progress,
            warm_start=warm,
        )
    except (InputFileError, BidError, NetworkError) as exc:
        print(f"ftr clear: {exc}", file=sys.stderr)
        return 2
    extra: dict[str, Any] = {
        "input_files": {role: {"name": p.name, "sha256": _sha256(p)} for role, p in inputs.items()},
        "contingencies_option": args.contingencies or "network",
    }
    write_outputs(render_outputs(result, extra), out_dir)
    print(
        f"ftr clear: {result.status}; surplus {result.summary['surplus']:.2f} $, "
        f"revenue {result.summary['auction_revenue']:.2f} $, "
        f"{len(result.binding_constraints)} binding constraints; results in {out_dir}"
    )
    return 0 if result.status is Status.OPTIMAL else 1
