"""``ftr settle``: settle one month offline from CSV files (audits and batch runs).

    ftr settle --ftrs FTRS.csv --prices PRICES.csv --charges CHARGES.csv
               [--rt-congestion RT.csv] [--year-state STATE.json] --out DIR

Inputs (header row first; times ISO 8601 with a UTC offset, e.g. ``2026-01-05T09:00:00-05:00``):

- FTRS.csv ``ftr_id,holder,source,sink,mw,class,hedge`` (class ``on_peak``/``off_peak``,
  hedge ``obligation``/``option``; any case, and the aliases of :mod:`market_terms`:
  ``ONPEAK``, ``OBL``, ...);
- PRICES.csv ``hour_ending,node,price`` day-ahead $/MWh, every node every hour of one EPT month
  (an optional ``congestion`` column, if present, is used instead of ``price``); the month settled is
  the one these hours belong to;
- CHARGES.csv ``hour_ending,da_congestion`` (optional ``loop_flow_compensation``), every hour once;
- RT.csv ``interval_ending,rt_congestion``, every 5-minute interval of the month once;
- STATE.json: the year state written by the previous month's run (omitted: a new year starting now).

DIR receives ``hourly.csv`` (``hour_ending,holder,target_allocation,credit``), ``monthly.csv``
(``holder,target_allocation,credit,monthly_distribution,annual_distribution``; the last is the
calendar-year OA 5.2.6(b) distribution made this month), ``summary.json`` and ``year_state.json``.
Any input error is printed as ``FILE, row N (line L), column C: problem`` (row N = N-th data row)
with exit code 2, and nothing is written to DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.settlement.csv_format import SettlementCsvError, read_settlement_csv
from market_calendar import month_hour_index, month_of
from market_terms import parse_hedge, parse_period_class
from settlement.charges import hourly_charges, per_hour_column, rt_congestion_by_hour
from settlement.errors import SettlementInputError
from settlement.month import MonthSettlement, settle_month
from settlement.positions import FtrRecord
from settlement.prices import prices_from_long
from settlement.statements import holder_hourly_frame, holder_monthly_frame, month_summary
from settlement.year_state import YearState

FTR_COLUMNS = ("ftr_id", "holder", "source", "sink", "mw", "class", "hedge")
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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("settle", help="settle one month of FTRs from CSV files")
    parser.add_argument("--ftrs", required=True, type=Path, metavar="FTRS.csv")
    parser.add_argument("--prices", required=True, type=Path, metavar="PRICES.csv")
    parser.add_argument("--charges", required=True, type=Path, metavar="CHARGES.csv")
    parser.add_argument("--rt-congestion", type=Path, metavar="RT.csv")
    parser.add_argument("--year-state", type=Path, metavar="STATE.json")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = _Files(args.ftrs, args.prices, args.charges, args.rt_congestion, args.year_state)
    try:
        result = _settle(files)
    except InputError as error:
        print(f"ftr settle: {error}", file=sys.stderr)
        return 2
    _write(result, args.out)
    summary = month_summary(result)
    print(
        f"settled {result.year}-{result.month:02d}: {summary['holders']} holders, "
        f"charges {summary['charges']['total']:.2f}, credits {summary['credits']:.2f}, "
        f"excess {summary['excess']:.2f} -> {args.out}"
    )
    return 0


def _settle(files: _Files) -> MonthSettlement:
    names = {"ftrs": files.ftrs, "prices": files.prices, "charges": files.charges}
    if files.rt is not None:
        names["rt_congestion"] = files.rt
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
        prices = prices_from_long(
            pd.Series(stamps),
            prices_frame["node"],
            prices_frame[price_column],
            hours,
            price_column=price_column,
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
        return settle_month(year, month, ftrs, prices, hourly_charges(hours, da, rt, loop_flow), state)
    except SettlementInputError as error:
        raise InputError(_phrase(error, names)) from None


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
        records.append(
            FtrRecord(
                ftr_id=data["ftr_id"],
                holder=data["holder"],
                source=data["source"],
                sink=data["sink"],
                mw=mw,
                period_class=period_class,
                hedge=hedge,
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


def _write(result: MonthSettlement, out: Path) -> None:
    """Write all four files to a scratch folder beside ``out``, then move them in."""
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
        out.mkdir(exist_ok=True)
        for name in ("hourly.csv", "monthly.csv", "summary.json", "year_state.json"):
            os.replace(folder / name, out / name)
