"""``ftr clear``: clear one FTR auction offline from files (for the OI and for auditors).

    ftr clear --network NET --bids BIDS.csv [--offers OFFERS.csv] [--held HELD.csv]
              [--contingencies CONT.csv|all] [--outages OUT.csv] [--loop-flow LOOP.csv]
              [--warm-start WARM.csv] [--bid-pricing] [--cache-mib MIB] --out DIR
    ftr clear --network NET --bids ONPEAK.csv --bids OFFPEAK.csv [--offers ON.csv --offers OFF.csv]
              [--held ON.csv --held OFF.csv] [--processes N] ... --out DIR

NET is a MATPOWER ``.m`` case or our JSON network. ``--contingencies`` takes our CONT.csv, a MATPOWER
change table of branch outages (``contab``: a ``.m`` function or a CSV with its seven columns,
:mod:`network.contab`) or ``all``. File formats: :mod:`auction.files`. Every input is
read and checked before anything is solved; an error names the file, row and column, exits with
code 2 and writes nothing to DIR. A solved auction exits 0; a base model that is infeasible or a solver
limit exits 1 (its status is in ``summary.json``). While it runs, one line per phase and LP round
(rows added, bid groups priced in, violations, objective, elapsed time, peak memory) goes to stderr
(:mod:`feasibility.progress`); the solver's own log goes to the Python log, not the terminal.

``--warm-start`` starts the LP with the rows of an earlier clearing's ``constraints.csv`` (clear one
period class of the month, then the other from its binding rows; or start from the last clearing of
the same network): the same result in fewer rounds. ``--bid-pricing`` prices bids in and out of the
LP each round instead of keeping every bid in it (``ClearingOptions.price_columns``); same result.
``--cache-mib`` is the memory budget of the N-1 sensitivity cache (``ClearingOptions.
sensitivity_cache_mib``): what does not fit is recomputed in blocks on each check; same result.

Several period classes at once: ``--bids`` given once per class (``--offers`` and ``--held``, when
given, once per class too, paired by order) clears each class in its own process
(:func:`auction.classes.clear_classes`; ``--processes`` workers, default one per class up to the
machine's cores) and writes each class's outputs to ``DIR/<name of its bids file without .csv>/``.
Every input of every class is checked before anything is solved. Progress lines name their class.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Literal

from auction.bids import BidError, validate
from auction.classes import ClassBook, clear_classes
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
from network.contab import is_contab_csv, read_contab_table
from network.errors import NetworkError
from network.model import Contingency, Network, PeriodConditions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("clear", help="clear an FTR auction from files")
    parser.add_argument("--network", required=True, help="MATPOWER .m case or JSON network")
    parser.add_argument(
        "--bids",
        required=True,
        action="append",
        help="BIDS.csv: bid_id,participant,source,sink,mw,price[,hedge]; once per period class",
    )
    parser.add_argument(
        "--offers",
        action="append",
        help="OFFERS.csv: offer_id,participant,source,sink,mw,price; once per class when given",
    )
    parser.add_argument("--held", action="append", help="HELD.csv: holder,source,sink,mw; once per class")
    parser.add_argument(
        "--contingencies",
        help="CONT.csv (contingency_id,branch_id), a MATPOWER change table (contab .m, or .csv with "
        "label,probability,table,row,column,change_type,new_value) or 'all' for full N-1",
    )
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
    parser.add_argument(
        "--cache-mib",
        dest="cache_mib",
        type=int,
        help="memory budget (MiB) for cached N-1 sensitivities (default 2048; beyond it they are "
        "recomputed per check, same result)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="worker processes when several classes are cleared (default: one per class, up to the cores)",
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


def _print_class_progress(label: str, event: ProgressEvent) -> None:
    print(f"ftr clear: {label}: {format_event(event)}", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _class_files(args: argparse.Namespace) -> list[tuple[str, Path, Path | None, Path | None]]:
    """(label, bids, offers, held) per class: one class, or one per ``--bids`` (module doc)."""
    bids = [Path(b) for b in args.bids]
    offers = [Path(o) for o in args.offers or []]
    held = [Path(h) for h in args.held or []]
    for flag, given in (("--offers", offers), ("--held", held)):
        if len(given) > 1 and len(given) != len(bids):
            raise InputFileError(
                str(given[0]), None, None, f"{flag} given {len(given)} times for {len(bids)} --bids"
            )
    if len(bids) > 1 and (len(offers) == 1 or len(held) == 1):
        flag = "--offers" if len(offers) == 1 else "--held"
        raise InputFileError(flag, None, None, f"give {flag} once per --bids ({len(bids)} classes)")
    labels = [b.stem for b in bids] if len(bids) > 1 else [""]
    if len(set(labels)) != len(labels):
        raise InputFileError(str(bids[0]), None, None, f"bids files of two classes share a name: {labels}")
    return [
        (label, b, offers[i] if offers else None, held[i] if held else None)
        for i, (label, b) in enumerate(zip(labels, bids, strict=True))
    ]


def run(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise InputFileError(str(out_dir), None, None, "--out exists and is not a directory")
        if args.processes is not None and args.processes < 1:
            raise InputFileError("--processes", None, None, f"must be >= 1, got {args.processes}")
        net_path = Path(args.network)
        net = load_network(net_path)
        points = set(net.bus_ids) | {p.id for p in net.pricing_points}
        branches = set(net.branch_ids)
        shared: dict[str, Path] = {"network": net_path}
        books: list[ClassBook] = []
        class_inputs: dict[str, dict[str, Path]] = {}
        for label, bids_path, offers_path, held_path in _class_files(args):
            inputs = {"bids": bids_path}
            bids = read_bids(bids_path, points)
            offers = []
            held = []
            if offers_path is not None:
                inputs["offers"] = offers_path
                offers = read_offers(offers_path, points)
            if held_path is not None:
                inputs["held"] = held_path
                held = read_held(held_path, points)
            validate(bids, offers, held)  # every class's book is checked before any is solved
            books.append(ClassBook(label, bids, offers, held))
            class_inputs[label] = inputs
        outages: tuple[str, ...] = ()
        if args.outages:
            shared["outages"] = Path(args.outages)
            outages = read_outages(shared["outages"], branches)
        contingencies: list[Contingency] | Literal["all"] | None = None
        if args.contingencies == "all":
            contingencies = "all"
        elif args.contingencies:
            shared["contingencies"] = cont_path = Path(args.contingencies)
            if cont_path.suffix.lower() == ".m" or is_contab_csv(cont_path):
                table = read_contab_table(cont_path, net)
                contingencies = list(table.contingencies)
                if table.generator_outages:
                    print(
                        f"ftr clear: {cont_path.name}: {len(table.generator_outages)} generator outage rows "
                        "read and not secured (they do not change the network's flows; docs/rules.md)",
                        file=sys.stderr,
                    )
            else:
                contingencies = read_contingencies(cont_path, branches)
        loop: dict[str, float] = {}
        if args.loop_flow:
            shared["loop_flow"] = Path(args.loop_flow)
            monitored = monitored_constraints(net, PeriodConditions(scheduled_outages=outages)).ids
            loop = read_loop_flow(shared["loop_flow"], set(monitored))
        warm: list[tuple[str, str | None, int]] = []
        if args.warm_start:
            shared["warm_start"] = Path(args.warm_start)
            warm = read_warm_start(shared["warm_start"])
        conditions = PeriodConditions(scheduled_outages=outages, loop_flow_mw=loop)
        books = [dataclasses.replace(b, conditions=conditions, warm_start=warm) for b in books]
        options = ClearingOptions(price_columns=args.bid_pricing)
        if args.cache_mib is not None:
            if args.cache_mib < 0:
                raise InputFileError("--cache-mib", None, None, f"must be >= 0, got {args.cache_mib}")
            options = dataclasses.replace(options, sensitivity_cache_mib=args.cache_mib)
        if len(books) == 1:
            b = books[0]
            results = {
                b.label: clear_auction(
                    net,
                    b.bids,
                    b.offers,
                    b.held,
                    conditions=conditions,
                    contingencies=contingencies,
                    options=options,
                    progress=_print_progress,
                    warm_start=warm,
                )
            }
        else:
            results = clear_classes(
                net,
                books,
                contingencies=contingencies,
                options=options,
                processes=args.processes,
                progress=_print_class_progress,
            )
    except (InputFileError, BidError, NetworkError) as exc:
        print(f"ftr clear: {exc}", file=sys.stderr)
        return 2
    code = 0
    for label, result in results.items():
        inputs = {**shared, **class_inputs[label]}
        extra: dict[str, Any] = {
            "input_files": {role: {"name": p.name, "sha256": _sha256(p)} for role, p in inputs.items()},
            "contingencies_option": args.contingencies or "network",
        }
        target = out_dir / label if label else out_dir
        write_outputs(render_outputs(result, extra), target)
        print(
            f"ftr clear: {label + ': ' if label else ''}{result.status}; "
            f"surplus {result.summary['surplus']:.2f} $, "
            f"revenue {result.summary['auction_revenue']:.2f} $, "
            f"{len(result.binding_constraints)} binding constraints; results in {target}"
        )
        if result.status is not Status.OPTIMAL:
            code = 1
    return code
