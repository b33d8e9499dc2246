"""``ftr settle``: settle one month offline from CSV files (audits and batch runs).

    ftr settle --ftrs FTRS.csv --prices PRICES.csv --charges CHARGES.csv
               [--rt-congestion RT.csv] [--year-state STATE.json]
               [--rt-prices RT_PRICES.csv --virtual-bids VIRTUAL.csv --binding-constraints BINDING.csv
                --network NET] [--year-end-charges YEAR_END.csv] --out DIR
    ftr settle --template KIND        (prints the header and an example row of KIND)

Inputs (header row first; times ISO 8601 with a UTC offset, e.g. ``2026-01-05T09:00:00-05:00``):

- FTRS.csv ``ftr_id,holder,source,sink,mw,class,hedge[,auction_price_per_mw]`` (class
  ``on_peak``/``off_peak``, hedge ``obligation``/``option``; any case, and the aliases of
  :mod:`market_terms`: ``ONPEAK``, ``OBL``, ...; ``auction_price_per_mw``, $/MW for the month, is the
  price paid for an auction FTR, which forfeiture caps its target allocation by);
- PRICES.csv ``hour_ending,node,price`` day-ahead $/MWh, every node every hour of one EPT month
  (an optional ``congestion`` column, if present, is used instead of ``price``); the month settled is
  the one these hours belong to;
- CHARGES.csv ``hour_ending,da_congestion`` (optional ``loop_flow_compensation``), every hour once;
- RT.csv ``interval_ending,rt_congestion``, every 5-minute interval of the month once;
- STATE.json: the year state written by the previous month's run (omitted: a new year starting now).

Forfeiture (OA 5.2.1(b),(c)) is applied when its three tables are given, with the network the month's
auction cleared on (NET: a MATPOWER ``.m`` case or our JSON network; its distribution factors decide
which virtual bids are at or near an FTR's path, and its hubs and zones are priced from their buses):

- RT_PRICES.csv ``hour_ending,node,price[,congestion]`` real-time $/MWh, every node every hour;
- VIRTUAL.csv ``participant_id,node,hour_ending,mw`` accepted INC/DEC bids, ``participant_id`` the
  ``holder`` of FTRS.csv;
- BINDING.csv ``hour_ending,constraint_id[,contingency_id][,shadow_price]`` the constraints binding in
  each hour (branch or interface ids of NET, contingencies of NET).

YEAR_END.csv ``participant_id,network_demand_charges,reserved_capacity_charges`` ($ for the year, OA
5.2.6(c)) is given with December: the year's carried excess is shared in proportion and written to
``year_end.csv`` (``participant_id,amount``). These tables are checked by the service's own reader of
its uploads (:func:`app.settlement.upload.canonical_table`): the same columns, spellings and checks.

DIR receives ``hourly.csv`` (``hour_ending,holder,target_allocation,credit``), ``monthly.csv``
(``holder,target_allocation,credit,monthly_distribution,annual_distribution``; the last is the
calendar-year OA 5.2.6(b) distribution made this month), ``summary.json``, ``year_state.json`` and,
with YEAR_END.csv, ``year_end.csv``. Any input error is printed as
``FILE, row N (line L), column C: problem`` (row N = N-th data row; every bad cell of a service table)
with exit code 2, and nothing is written to DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.commands.clear import load_network
from app.errors import ValidationFailed
from app.settlement import engine_inputs as build
from app.settlement.csv_format import SettlementCsvError, read_settlement_csv
from app.settlement.input_kinds import SPECS, InputKind
from app.settlement.month_data import prices_with_aggregates, with_network_aggregates
from app.settlement.upload import canonical_table
from auction.files import InputFileError
from market_calendar import month_hour_index, month_of
from market_terms import parse_hedge, parse_period_class
from network.model import Network
from settlement.charges import hourly_charges, per_hour_column, rt_congestion_by_hour
from settlement.errors import SettlementInputError
from settlement.excess import YearEndDistribution, distribute_year_end
from settlement.forfeiture import ForfeitureInputs
from settlement.month import MonthSettlement, settle_month
from settlement.positions import FtrRecord
from settlement.prices import prices_from_long
from settlement.statements import holder_hourly_frame, holder_monthly_frame, month_summary
from settlement.year_state import YearState

FTR_COLUMNS = ("ftr_id", "holder", "source", "sink", "mw", "class", "hedge")
FTR_OPTIONAL = ("auction_price_per_mw",)
FORFEITURE_OPTIONS = {
    InputKind.RT_PRICES: "--rt-prices",
    InputKind.VIRTUAL_BIDS: "--virtual-bids",
    InputKind.BINDING_CONSTRAINTS: "--binding-constraints",
}
MONTHLY_COLUMNS = ("holder", "target_allocation", "credit", "monthly_distribution", "annual_distribution")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


class InputError(Exception):
    """A problem with one input file, already phrased for the user."""


@dataclass(frozen=True)
class _Files:
    ftrs: Path
    prices: Path
    charges: Path
    rt: Path | None
    state: Path | None
    forfeiture: dict[InputKind, Path] = field(default_factory=dict)
    network: Path | None = None
    year_end: Path | None = None


@dataclass(frozen=True)
class _Settled:
    month: MonthSettlement
    year_end: YearEndDistribution | None


_EXAMPLE_CELLS = {
    "ftr_id": "f-1",
    "holder": "P",
    "source": "1",
    "sink": "3",
    "mw": "50",
    "class": "on_peak",
    "hedge": "obligation",
    "auction_price_per_mw": "10.00",
    "hour_ending": "2026-01-05T09:00:00-05:00",
    "interval_ending": "2026-01-05T08:05:00-05:00",
    "node": "1",
    "price": "30.25",
    "congestion": "4.10",
    "da_congestion": "1375.00",
    "loop_flow_compensation": "0",
    "rt_congestion": "8.33",
    "participant_id": "P",
    "constraint_id": "1-3",
    "contingency_id": "",
    "shadow_price": "15",
    "network_demand_charges": "125000.00",
    "reserved_capacity_charges": "0",
}
TEMPLATES: dict[str, tuple[str, ...]] = {
    "ftrs": (*FTR_COLUMNS, *FTR_OPTIONAL),
    "prices": SPECS[InputKind.DA_PRICES].names,
    "charges": (*SPECS[InputKind.DA_CONGESTION].names, "loop_flow_compensation"),
    "rt_congestion": SPECS[InputKind.RT_CONGESTION].names,
    **{kind.value: SPECS[kind].names for kind in (*FORFEITURE_OPTIONS, InputKind.YEAR_END_CHARGES)},
}
"""The columns of each input file ``--template`` prints (the service's tables by their upload kinds)."""


def template(kind: str) -> str:
    """The header and one example row of an input file (optional columns included)."""
    columns = TEMPLATES[kind]
    return ",".join(columns) + "\n" + ",".join(_EXAMPLE_CELLS[c] for c in columns) + "\n"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("settle", help="settle one month of FTRs from CSV files")
    parser.add_argument("--ftrs", type=Path, metavar="FTRS.csv")
    parser.add_argument("--prices", type=Path, metavar="PRICES.csv")
    parser.add_argument("--charges", type=Path, metavar="CHARGES.csv")
    parser.add_argument("--rt-congestion", type=Path, metavar="RT.csv")
    parser.add_argument("--year-state", type=Path, metavar="STATE.json")
    parser.add_argument("--rt-prices", type=Path, metavar="RT_PRICES.csv", help="forfeiture: RT prices")
    parser.add_argument("--virtual-bids", type=Path, metavar="VIRTUAL.csv", help="forfeiture: virtual bids")
    parser.add_argument(
        "--binding-constraints", type=Path, metavar="BINDING.csv", help="forfeiture: binding constraints"
    )
    parser.add_argument("--network", type=Path, metavar="NET", help="MATPOWER .m case or JSON network")
    parser.add_argument("--year-end-charges", type=Path, metavar="YEAR_END.csv", help="with December")
    parser.add_argument("--out", type=Path, metavar="DIR")
    parser.add_argument(
        "--template",
        choices=sorted(TEMPLATES),
        metavar="KIND",
        help=f"print a template: {', '.join(TEMPLATES)}",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.template is not None:
        print(template(args.template), end="")
        return 0
    lacking = [f"--{n}" for n in ("ftrs", "prices", "charges", "out") if getattr(args, n) is None]
    if lacking:
        print(f"ftr settle: {', '.join(lacking)} required (or --template KIND)", file=sys.stderr)
        return 2
    forfeiture = {
        kind: path
        for kind, path in (
            (InputKind.RT_PRICES, args.rt_prices),
            (InputKind.VIRTUAL_BIDS, args.virtual_bids),
            (InputKind.BINDING_CONSTRAINTS, args.binding_constraints),
        )
        if path is not None
    }
    files = _Files(
        args.ftrs,
        args.prices,
        args.charges,
        args.rt_congestion,
        args.year_state,
        forfeiture,
        args.network,
        args.year_end_charges,
    )
    try:
        settled = _settle(files)
    except InputError as error:
        print(f"ftr settle: {error}", file=sys.stderr)
        return 2
    result = settled.month
    _write(settled, args.out)
    summary = month_summary(result)
    print(
        f"settled {result.year}-{result.month:02d}: {summary['holders']} holders, "
        f"charges {summary['charges']['total']:.2f}, credits {summary['credits']:.2f}, "
        f"excess {summary['excess']:.2f} -> {args.out}"
    )
    return 0


def _settle(files: _Files) -> _Settled:
    names = {"ftrs": files.ftrs, "prices": files.prices, "charges": files.charges}
    if files.rt is not None:
        names["rt_congestion"] = files.rt
    for kind, path in files.forfeiture.items():
        names[kind.value] = path
    if InputKind.RT_PRICES in files.forfeiture:
        names["rt prices"] = files.forfeiture[InputKind.RT_PRICES]
    _check_forfeiture_options(files)
    net = _network(files.network) if files.network is not None else None
    try:
        ftrs = _read_ftrs(files.ftrs)
        prices_frame = _read(files.prices, ("hour_ending", "node", "price"))
        stamps = _times(prices_frame["hour_ending"], files.prices, "hour_ending")
        if len(stamps) == 0:
            raise InputError(f"{files.prices}: no price rows")
        # The month most rows belong to (a stray row from another month is then reported as such).
        year, month = month_of(stamps.sort_values()[len(stamps) // 2].to_pydatetime())
        hours = month_hour_index(year, month)
        price_column = "congestion" if "congestion" in prices_frame.columns else "price"
        prices = with_network_aggregates(
            prices_from_long(
                pd.Series(stamps),
                prices_frame["node"],
                prices_frame[price_column],
                hours,
                price_column=price_column,
            ),
            net,
        )
        charges_frame = _read(files.charges, ("hour_ending", "da_congestion"))
        charge_hours = pd.Series(_times(charges_frame["hour_ending"], files.charges, "hour_ending"))
        da = per_hour_column(
            charge_hours, charges_frame["da_congestion"], hours, source="charges", column="da_congestion"
        )
        loop_flow = None
        if "loop_flow_compensation" in charges_frame.columns:
            loop_flow = per_hour_column(
                charge_hours,
                charges_frame["loop_flow_compensation"],
                hours,
                source="charges",
                column="loop_flow_compensation",
            )
        rt = None
        if files.rt is not None:
            rt_frame = _read(files.rt, ("interval_ending", "rt_congestion"))
            intervals = pd.Series(_times(rt_frame["interval_ending"], files.rt, "interval_ending"))
            rt = rt_congestion_by_hour(intervals, rt_frame["rt_congestion"], hours)
        state = _read_state(files.state, year, month)
        forfeiture = _forfeiture(files, net, year, month, hours)
        result = settle_month(
            year,
            month,
            ftrs,
            prices,
            hourly_charges(hours, da, rt, loop_flow),
            state,
            forfeiture_inputs=forfeiture,
        )
        return _Settled(result, _year_end(files.year_end, result))
    except SettlementInputError as error:
        raise InputError(_phrase(error, names)) from None


def _check_forfeiture_options(files: _Files) -> None:
    """Forfeiture's three tables and the network all or none (as the service refuses a partial set)."""
    if not files.forfeiture:
        return
    lacking = [option for kind, option in FORFEITURE_OPTIONS.items() if kind not in files.forfeiture]
    lacking += ["--network"] if files.network is None else []
    if lacking:
        given = ", ".join(FORFEITURE_OPTIONS[k] for k in files.forfeiture)
        raise InputError(f"forfeiture (OA 5.2.1(b)) needs {', '.join(lacking)} too (given: {given})")


def _network(path: Path) -> Network:
    try:
        return load_network(path)
    except InputFileError as error:
        raise InputError(f"{path}: {error.problem}") from None


def _service_table(path: Path, kind: InputKind, year: int, month: int) -> pd.DataFrame:
    """The table checked by the service's reader of its uploads; every bad cell named by row and column."""
    raw = _read(path, ())
    try:
        return canonical_table(
            kind, raw, year=year, month=month, source_format="csv", participants=None
        ).frame
    except ValidationFailed as error:
        lines = []
        for e in error.errors:
            if e.row is None or e.field == "body":
                lines.append(f"{path}: {e.reason}")
            elif e.row == 0:
                lines.append(f"{path}, header, column {e.field!r}: {e.reason}")
            else:
                lines.append(f"{path}, row {e.row} (line {e.row + 1}), column {e.field!r}: {e.reason}")
        raise InputError("\n".join(lines) if lines else f"{path}: {error.detail}") from None


def _forfeiture(
    files: _Files, net: Network | None, year: int, month: int, hours: pd.DatetimeIndex
) -> ForfeitureInputs | None:
    if not files.forfeiture or net is None:
        return None
    frames = {kind: _service_table(path, kind, year, month) for kind, path in files.forfeiture.items()}
    return ForfeitureInputs(
        rt_prices=prices_with_aggregates(frames[InputKind.RT_PRICES], hours, InputKind.RT_PRICES, net),
        virtual_bids=build.accepted_virtual_bids(frames[InputKind.VIRTUAL_BIDS], hours),
        factors=build.distribution_factors(frames[InputKind.BINDING_CONSTRAINTS], hours, net),
    )


def _year_end(path: Path | None, result: MonthSettlement) -> YearEndDistribution | None:
    """OA 5.2.6(c): the year's carried excess shared by the customers' charges (December only)."""
    if path is None:
        return None
    if result.month != 12:
        raise InputError(
            f"{path}: the year-end distribution needs December; the month settled is "
            f"{result.year}-{result.month:02d}"
        )
    frame = _service_table(path, InputKind.YEAR_END_CHARGES, result.year, result.month)
    try:
        return distribute_year_end(result.state_after, build.year_end_charges(frame))
    except SettlementInputError as error:
        raise InputError(f"{path}: {error.problem}") from None


def _phrase(error: SettlementInputError, names: dict[str, Path]) -> str:
    where = str(names.get(error.source, error.source))
    if error.row is not None:
        where += f", row {error.row} (line {error.row + 1})"
    if error.column is not None:
        where += f", column {error.column!r}"
    return f"{where}: {error.problem}"


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = read_settlement_csv(path.read_bytes())
    except (OSError, SettlementCsvError) as error:
        raise InputError(f"{path}: cannot read CSV: {error}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column {missing[0]!r} (header has {', '.join(frame.columns)})")
    return frame


def _times(values: pd.Series, path: Path, column: str) -> pd.DatetimeIndex:
    """Parse ISO 8601 times with offsets; each distinct text is parsed once (a month has few)."""
    codes, uniques = pd.factorize(values.str.strip())
    texts = pd.Series(uniques, dtype=object)
    naive = np.flatnonzero(~texts.str.contains(_OFFSET).to_numpy(dtype=bool))
    parsed = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
    bad = naive if len(naive) else np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        r = int(np.flatnonzero(np.isin(codes, bad))[0])
        problem = "is not an ISO 8601 time with a UTC offset" if len(naive) else "is not an ISO 8601 time"
        raise InputError(
            f"{path}, row {r + 1} (line {r + 2}), column {column!r}: {values.iloc[r]!r} {problem}"
        )
    return pd.DatetimeIndex(parsed).take(codes)


def _read_ftrs(path: Path) -> list[FtrRecord]:
    frame = _read(path, FTR_COLUMNS)
    records = []
    for r, row in enumerate(frame.itertuples(index=False), start=1):
        data = dict(zip(frame.columns, row, strict=True))

        def fail(column: str, problem: str, r: int = r) -> InputError:
            return InputError(f"{path}, row {r} (line {r + 1}), column {column!r}: {problem}")

        try:
            mw = float(data["mw"])
        except ValueError:
            raise fail("mw", f"{data['mw']!r} is not a number") from None
        try:
            period_class = parse_period_class(data["class"])
        except ValueError as error:
            raise fail("class", str(error)) from None
        try:
            hedge = parse_hedge(data["hedge"])
        except ValueError as error:
            raise fail("hedge", str(error)) from None
        price_text = str(data.get("auction_price_per_mw", "")).strip()
        try:
            price = float(price_text) if price_text else None
        except ValueError:
            raise fail("auction_price_per_mw", f"{price_text!r} is not a number") from None
        records.append(
            FtrRecord(
                ftr_id=data["ftr_id"],
                holder=data["holder"],
                source=data["source"],
                sink=data["sink"],
                mw=mw,
                period_class=period_class,
                hedge=hedge,
                auction_price_per_mw=price,
            )
        )
    return records


def _read_state(path: Path | None, year: int, month: int) -> YearState:
    if path is None:
        return YearState.new(year, month)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read the year state: {error}") from None
    try:
        return YearState.from_json(data, source=str(path))
    except SettlementInputError as error:
        raise InputError(_phrase(error, {})) from None


def _write(settled: _Settled, out: Path) -> None:
    """Write every file to a scratch folder beside ``out``, then move them in."""
    result = settled.month
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as scratch:
        folder = Path(scratch)
        holder_hourly_frame(result).to_csv(folder / "hourly.csv", index=False, float_format="%.2f")
        monthly = holder_monthly_frame(result)[list(MONTHLY_COLUMNS)]
        monthly.to_csv(folder / "monthly.csv", index=False, float_format="%.2f")
        summary = month_summary(result)
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        state = result.state_after.to_json()
        (folder / "year_state.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        names = ["hourly.csv", "monthly.csv", "summary.json", "year_state.json"]
        if settled.year_end is not None:
            shares = sorted(settled.year_end.amounts.items())
            frame = pd.DataFrame(shares, columns=["participant_id", "amount"])
            frame.to_csv(folder / "year_end.csv", index=False, float_format="%.2f")
            names.append("year_end.csv")
        out.mkdir(exist_ok=True)
        for name in names:
            os.replace(folder / name, out / name)
