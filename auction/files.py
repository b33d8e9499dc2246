"""The CSV/JSON files of the offline clearing command (``ftr clear``): read with row-level errors, write.

Inputs (UTF-8 CSV with a header row; extra columns are an error so typos do not pass silently):

=============  ======================================================================================
BIDS.csv       ``bid_id,participant,source,sink,mw,price`` and optional ``hedge``
               (``obligation`` default, or ``option``)
OFFERS.csv     ``offer_id,participant,source,sink,mw,price`` (price = reservation price) and optional
               ``hedge`` of the held FTR offered (an option's sale releases only its adverse flow)
HELD.csv       ``holder,source,sink,mw`` (outstanding FTRs not offered) and optional ``hedge`` (an
               option counts with its adverse flow only)
CONT.csv       ``contingency_id,branch_id`` (one row per branch out)
OUT.csv        ``branch_id`` (scheduled outages of the period)
LOOP.csv       ``constraint_id,mw`` (loop flow, MW in the constraint's direction)
WARM.csv       ``branch_id,contingency_id,direction`` and optional ``flow,limit,shadow_price``: rows
               to start the LP with (the ``constraints.csv`` of an earlier clearing, e.g. the other
               period class of the month); rows the network does not have are skipped
=============  ======================================================================================

Every error names the file, the row (1 = header) and the column. Outputs (:func:`render_outputs`):
``awards.csv`` (``id,participant,source,sink,mw_awarded,price``, awards > 0 only, bids then offers),
``nodal_prices.csv`` (``node,price``), ``constraints.csv`` (binding rows:
``branch_id,contingency_id,direction,flow,limit,shadow_price``; ``branch_id`` holds the branch or
interface id, ``contingency_id`` is empty for the base case, ``direction`` is 1 or -1) and
``summary.json``. Prices are $/MW for the period.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from auction.bids import Bid, HeldFtr, Offer, mw_in_steps
from auction.clearing import AuctionResult
from market_terms import Hedge, parse_hedge
from network.model import Contingency

T = TypeVar("T")


class InputFileError(ValueError):
    """A problem in an input file, located by file, row (1 = header) and column."""

    def __init__(self, file: str, row: int | None, column: str | None, problem: str) -> None:
        self.file, self.row, self.column, self.problem = file, row, column, problem
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class _Row:
    file: str
    number: int
    values: Mapping[str, str]

    def text(self, column: str) -> str:
        value = (self.values.get(column) or "").strip()
        if not value:
            raise InputFileError(self.file, self.number, column, "value is empty")
        return value

    def number_value(self, column: str) -> float:
        raw = self.text(column)
        try:
            value = float(raw)
        except ValueError:
            raise InputFileError(self.file, self.number, column, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise InputFileError(self.file, self.number, column, f"{raw!r} is not a finite number")
        return value

    def mw(self, column: str = "mw") -> float:
        value = self.number_value(column)
        if not mw_in_steps(value):
            raise InputFileError(
                self.file,
                self.number,
                column,
                f"{value!r} MW must be > 0 and to the nearest 0.1 MW (OA 7.3.5(d))",
            )
        return round(value, 1)

    def point(self, column: str, points: Collection[str] | None) -> str:
        value = self.text(column)
        if points is not None and value not in points:
            raise InputFileError(self.file, self.number, column, f"unknown pricing point or bus {value!r}")
        return value


def _rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Iterator[_Row]:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFileError(name, None, None, f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(name, None, None, "is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InputFileError(name, 1, None, f"no header row; expected columns {','.join(required)}")
    for col in required:
        if col not in header:
            raise InputFileError(name, 1, col, "required column is missing")
    for col in header:
        if col not in required and col not in optional:
            raise InputFileError(name, 1, col, f"unexpected column; allowed: {','.join(required + optional)}")
    if len(set(header)) != len(header):
        raise InputFileError(name, 1, None, "a column name appears twice")
    reader.fieldnames = header
    for raw in reader:
        number = reader.line_num
        if None in raw:
            raise InputFileError(name, number, None, "more values than columns")
        if all((v or "").strip() == "" for v in raw.values()):
            continue
        yield _Row(name, number, raw)


def _unique(rows: Iterator[_Row], column: str, build: Callable[[_Row], T]) -> list[T]:
    seen: dict[str, int] = {}
    out: list[T] = []
    for row in rows:
        key = row.text(column)
        if key in seen:
            raise InputFileError(row.file, row.number, column, f"{key!r} already used on row {seen[key]}")
        seen[key] = row.number
        out.append(build(row))
    return out


def _path(r: _Row, points: Collection[str] | None) -> tuple[str, str]:
    """The ``source`` and ``sink`` columns: known points (when ``points`` is given), not the same one."""
    source, sink = r.point("source", points), r.point("sink", points)
    if source == sink:
        raise InputFileError(r.file, r.number, "sink", f"same point as the source ({source!r})")
    return source, sink


def _hedge(r: _Row) -> Hedge:
    """The optional ``hedge`` column: empty or absent is an obligation."""
    raw = (r.values.get("hedge") or "").strip() or Hedge.OBLIGATION.value
    try:
        return parse_hedge(raw)
    except ValueError as error:
        raise InputFileError(r.file, r.number, "hedge", str(error)) from None


def read_bids(path: Path, points: Collection[str] | None = None) -> list[Bid]:
    """BIDS.csv; ``points`` (if given) are the valid source/sink ids."""

    def build(r: _Row) -> Bid:
        source, sink = _path(r, points)
        return Bid(
            r.text("bid_id"), r.text("participant"), source, sink, r.mw(), r.number_value("price"), _hedge(r)
        )

    return _unique(
        _rows(path, ("bid_id", "participant", "source", "sink", "mw", "price"), ("hedge",)), "bid_id", build
    )


def read_offers(path: Path, points: Collection[str] | None = None) -> list[Offer]:
    """OFFERS.csv; the price is the reservation price ($/MW)."""

    def build(r: _Row) -> Offer:
        source, sink = _path(r, points)
        return Offer(
            r.text("offer_id"),
            r.text("participant"),
            source,
            sink,
            r.mw(),
            r.number_value("price"),
            _hedge(r),
        )

    return _unique(
        _rows(path, ("offer_id", "participant", "source", "sink", "mw", "price"), ("hedge",)),
        "offer_id",
        build,
    )


def read_held(path: Path, points: Collection[str] | None = None) -> list[HeldFtr]:
    """HELD.csv: outstanding FTRs not offered (base model); optional ``hedge``."""
    out = []
    for r in _rows(path, ("holder", "source", "sink", "mw"), ("hedge",)):
        source, sink = _path(r, points)
        out.append(HeldFtr(r.text("holder"), source, sink, r.mw(), _hedge(r)))
    return out


def read_contingencies(path: Path, branches: Collection[str]) -> list[Contingency]:
    """CONT.csv: rows with the same ``contingency_id`` form one contingency (in order of first row)."""
    grouped: dict[str, list[str]] = {}
    for r in _rows(path, ("contingency_id", "branch_id")):
        branch = r.text("branch_id")
        if branch not in branches:
            raise InputFileError(r.file, r.number, "branch_id", f"unknown branch {branch!r}")
        members = grouped.setdefault(r.text("contingency_id"), [])
        if branch in members:
            raise InputFileError(
                r.file, r.number, "branch_id", f"branch {branch!r} listed twice in this contingency"
            )
        members.append(branch)
    return [Contingency(cid, tuple(b)) for cid, b in grouped.items()]


def read_outages(path: Path, branches: Collection[str]) -> tuple[str, ...]:
    """OUT.csv: branch ids on scheduled outage for the period."""
    out: list[str] = []
    for r in _rows(path, ("branch_id",)):
        branch = r.text("branch_id")
        if branch not in branches:
            raise InputFileError(r.file, r.number, "branch_id", f"unknown branch {branch!r}")
        if branch in out:
            raise InputFileError(r.file, r.number, "branch_id", f"branch {branch!r} listed twice")
        out.append(branch)
    return tuple(out)


def read_warm_start(path: Path) -> list[tuple[str, str | None, int]]:
    """WARM.csv: (constraint id, contingency id or ``None`` for the base case, direction) per row."""
    out: list[tuple[str, str | None, int]] = []
    for r in _rows(path, ("branch_id", "contingency_id", "direction"), ("flow", "limit", "shadow_price")):
        raw = r.text("direction")
        if raw not in ("1", "-1"):
            raise InputFileError(r.file, r.number, "direction", f"{raw!r} must be 1 or -1")
        contingency = (r.values.get("contingency_id") or "").strip() or None
        out.append((r.text("branch_id"), contingency, int(raw)))
    return out


def read_loop_flow(path: Path, constraints: Collection[str]) -> dict[str, float]:
    """LOOP.csv: MW of loop flow per monitored constraint id."""
    out: dict[str, float] = {}
    for r in _rows(path, ("constraint_id", "mw")):
        cid = r.text("constraint_id")
        if cid not in constraints:
            raise InputFileError(r.file, r.number, "constraint_id", f"{cid!r} is not a monitored constraint")
        if cid in out:
            raise InputFileError(r.file, r.number, "constraint_id", f"{cid!r} listed twice")
        out[cid] = r.number_value("mw")
    return out


def _csv(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _num(x: float) -> str:
    return repr(float(x) + 0.0)


def render_outputs(result: AuctionResult, summary_extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The output files as ``{file name: text}``; nothing is written here."""
    awards = [
        (a.id, a.participant, a.source, a.sink, _num(a.mw_awarded), _num(a.price))
        for a in result.awards
        if a.mw_awarded > 0
    ]
    prices = [(node, _num(p)) for node, p in result.nodal_prices.items()]
    binding = [
        (
            b.constraint_id,
            b.contingency_id or "",
            b.direction,
            _num(b.flow_mw),
            _num(b.limit_mw),
            _num(b.shadow_price),
        )
        for b in result.binding_constraints
    ]
    summary = dict(result.summary)
    summary.update(summary_extra or {})
    return {
        "awards.csv": _csv(("id", "participant", "source", "sink", "mw_awarded", "price"), awards),
        "nodal_prices.csv": _csv(("node", "price"), prices),
        "constraints.csv": _csv(
            ("branch_id", "contingency_id", "direction", "flow", "limit", "shadow_price"), binding
        ),
        "summary.json": json.dumps(summary, indent=2, sort_keys=True) + "\n",
    }


def write_outputs(files: Mapping[str, str], out_dir: Path) -> None:
    """Write rendered outputs into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
