"""Tables the portal pages, sorts and filters on the server, and downloads whole as CSV.

A :class:`TableSpec` names a table's columns (which sort) and filters; :func:`read_state` reads the
visitor's choice from the query string (``sort``, ``dir``, ``page``, ``size`` and one parameter per
filter, each with the table's ``prefix`` so two tables on a page keep their own); a bad value is a
422 naming the parameter. :func:`page_of` runs one page of a statement (a count and one ``LIMIT``
query: 100,000 rows are never loaded), :func:`page_of_list` does the same for a short list held in
memory, and :func:`stream_csv` streams the whole filtered set in the table's order, in batches,
from a session of its own (the request's session is closed before a streamed body is sent).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import read_engine
from app.errors import FieldError, ValidationFailed
from market_calendar.eastern_time import EPT

T = TypeVar("T")
AnySelect = Select[*tuple[Any, ...]]
PAGE_SIZES = (25, 50, 100, 500)
CSV_BATCH_ROWS = 2000
COUNT_CAP = 10_000
"""rows a table counts at most beyond the page asked for (a larger set is shown as "more than")"""


class FilterKind(StrEnum):
    CONTAINS = "contains"
    """text: the column contains the value (case-insensitive)"""
    EQUALS = "equals"
    """one of the filter's choices"""
    SINCE = "since"
    """a time (EPT, ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM``): the column is at or after it"""
    UNTIL = "until"
    """a time: the column is before it"""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    expr: Any = None
    """the SQL expression it sorts by; ``None``: not sortable"""
    value: Callable[[Any], Any] | None = None
    """for a table held in memory: the value it sorts by"""
    numeric: bool = False

    @property
    def sortable(self) -> bool:
        return self.expr is not None or self.value is not None


@dataclass(frozen=True, slots=True)
class Filter:
    key: str
    label: str
    kind: FilterKind
    expr: Any = None
    value: Callable[[Any], Any] | None = None
    choices: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    """the table's element id and CSV file name stem"""
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    default_sort: str = "id"
    default_desc: bool = False
    tiebreak: Any = None
    """a unique SQL expression: the order of equal sort keys (and so every page) is stable"""
    prefix: str = ""
    page_size: int = 50

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def param(self, key: str) -> str:
        return f"{self.prefix}{key}"


@dataclass(frozen=True, slots=True)
class TableState:
    spec: TableSpec
    sort: str
    desc: bool
    filters: Mapping[str, str]
    """filter key -> the visitor's value (only the filters given)"""
    page: int
    size: int
    query: Mapping[str, str] = field(default_factory=dict)
    """the page's whole query string (the other tables' choices are kept in every link)"""

    def link(self, **changes: Any) -> str:
        """``?query`` of this page with ``changes`` (sort, dir, page, size) applied to this table."""
        params = dict(self.query)
        for key, value in changes.items():
            params[self.spec.param(key)] = str(value)
        return "?" + urlencode({k: v for k, v in params.items() if v != ""})

    def sort_link(self, key: str) -> str:
        """Sort by ``key``; the sorted column's link turns its direction round."""
        desc = not self.desc if key == self.sort else False
        return self.link(sort=key, dir="desc" if desc else "asc", page=1)

    def filter_query(self) -> str:
        """The filters and the order alone (the CSV of the whole filtered set)."""
        params = {self.spec.param(k): v for k, v in self.filters.items()}
        params[self.spec.param("sort")] = self.sort
        params[self.spec.param("dir")] = "desc" if self.desc else "asc"
        return urlencode(params)

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The query parameters a filter form must carry over (other tables', this table's order)."""
        own = {self.spec.param(f.key) for f in self.spec.filters} | {self.spec.param("page")}
        return [(k, v) for k, v in self.query.items() if k not in own]


@dataclass(frozen=True, slots=True)
class TablePage(Generic[T]):
    state: TableState
    items: Sequence[T]
    total: int
    """the rows of the filtered set, or as many as were counted when ``exact`` is false"""
    exact: bool = True
    """``False``: the filtered set has more than ``total`` rows (the count stopped there)"""

    @property
    def pages(self) -> int:
        """The number of pages (when not ``exact``: those counted, and one more at least)."""
        counted = max(1, -(-self.total // self.state.size))
        return counted if self.exact else max(counted, self.state.page + 1)

    @property
    def total_text(self) -> str:
        return f"{self.total:,}" if self.exact else f"more than {self.total:,}"

    @property
    def pages_text(self) -> str:
        return f"{self.pages:,}" if self.exact else f"more than {self.total // self.state.size:,}"

    @property
    def first(self) -> int:
        """1-based number of the page's first row (0 when empty)."""
        return (self.state.page - 1) * self.state.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.state.page - 1) * self.state.size + len(self.items)


def _bad(param: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"query parameter {param!r}: {reason}", errors=[FieldError(f"query.{param}", reason)]
    )


def _when(param: str, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(param, "must be a time YYYY-MM-DD or YYYY-MM-DDTHH:MM (EPT)") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=EPT)


def read_state(spec: TableSpec, query: Mapping[str, str]) -> TableState:
    """The visitor's sort, filters and page of ``spec`` from the query string (422 on a bad value)."""
    sort = query.get(spec.param("sort")) or spec.default_sort
    column = spec.column(sort)
    if column is None or not column.sortable:
        keys = ", ".join(c.key for c in spec.columns if c.sortable)
        raise _bad(spec.param("sort"), f"{sort!r} is not a column to sort by (one of: {keys})")
    direction = query.get(spec.param("dir")) or (
        "desc" if spec.default_desc and sort == spec.default_sort else "asc"
    )
    if direction not in ("asc", "desc"):
        raise _bad(spec.param("dir"), "must be asc or desc")
    numbers: dict[str, int] = {}
    for key, default in (("page", 1), ("size", spec.page_size)):
        text = query.get(spec.param(key)) or str(default)
        if not text.isdigit() or int(text) < 1:
            raise _bad(spec.param(key), "must be a whole number >= 1")
        numbers[key] = int(text)
    if numbers["size"] not in PAGE_SIZES and numbers["size"] != spec.page_size:
        raise _bad(spec.param("size"), f"must be one of {', '.join(map(str, PAGE_SIZES))}")
    if numbers["page"] > 10_000_000:
        raise _bad(spec.param("page"), "must be at most 10000000")
    filters: dict[str, str] = {}
    for f in spec.filters:
        value = (query.get(spec.param(f.key)) or "").strip()
        if not value:
            continue
        if len(value) > 200:
            raise _bad(spec.param(f.key), "must be at most 200 characters")
        if f.kind is FilterKind.EQUALS and value not in f.choices:
            raise _bad(spec.param(f.key), f"must be one of: {', '.join(f.choices)}")
        if f.kind in (FilterKind.SINCE, FilterKind.UNTIL):
            _when(spec.param(f.key), value)
        filters[f.key] = value
    return TableState(spec, sort, direction == "desc", filters, numbers["page"], numbers["size"], dict(query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(stmt: AnySelect, state: TableState) -> AnySelect:
    """``stmt`` with the visitor's filters."""
    for f in state.spec.filters:
        value = state.filters.get(f.key)
        if value is None:
            continue
        expr: ColumnElement[Any] = f.expr
        if f.kind is FilterKind.CONTAINS:
            stmt = stmt.where(func.lower(expr).like(f"%{_escape_like(value.lower())}%", escape="\\"))
        elif f.kind is FilterKind.EQUALS:
            stmt = stmt.where(expr == value)
        elif f.kind is FilterKind.SINCE:
            stmt = stmt.where(expr >= _when(f.key, value))
        else:
            stmt = stmt.where(expr < _when(f.key, value))
    return stmt


def ordered(stmt: AnySelect, state: TableState) -> AnySelect:
    """``stmt`` filtered and in the table's order (the tiebreak last, in the same direction)."""
    column = state.spec.column(state.sort)
    assert column is not None and column.expr is not None
    keys = [column.expr] if state.spec.tiebreak is None else [column.expr, state.spec.tiebreak]
    return filtered(stmt, state).order_by(*(k.desc() if state.desc else k.asc() for k in keys))


def page_of(
    session: Session,
    stmt: AnySelect,
    state: TableState,
    *,
    count_from: AnySelect | None = None,
    count_cap: int = COUNT_CAP,
) -> TablePage[Any]:
    """One page of ``stmt``'s rows, filtered and sorted, and the count of the filtered set (counted on
    ``count_from`` where given: the same rows without the joins only the columns need).

    For a page within the first ``count_cap`` rows the count stops there (a table of 100,000 rows
    shows "more than 10,000" without counting them all); a page beyond is counted exactly. A page
    past the last shows the last page."""
    counted = filtered(count_from if count_from is not None else stmt, state)
    if state.page * state.size <= count_cap:
        total = int(session.execute(select_count(counted, limit=count_cap + 1)).scalar_one())
        exact, total = total <= count_cap, min(total, count_cap)
    else:  # a page deep in the set: a plain count (a LIMIT would stop the database's count shortcuts)
        total, exact = int(session.execute(select_count(counted)).scalar_one()), True
    pages = max(1, -(-total // state.size))
    state = replace(state, page=min(state.page, pages))
    start = (state.page - 1) * state.size
    key = state.spec.tiebreak
    if key is None:
        rows = session.execute(ordered(stmt, state).limit(state.size).offset(start)).all()
        return TablePage(state, list(rows), total, exact)
    # a deferred join: sort and skip the narrow (sort key, id) pairs, then read the page's rows alone
    column = state.spec.column(state.sort)
    assert column is not None
    keys = ordered(stmt, state).with_only_columns(column.expr, key).limit(state.size).offset(start)
    ids = [found[1] for found in session.execute(keys)]
    rows = session.execute(ordered(stmt.where(key.in_(ids)), state)).all() if ids else []
    return TablePage(state, list(rows), total, exact)


def select_count(stmt: AnySelect, *, limit: int | None = None) -> AnySelect:
    """The count of ``stmt``'s rows, or of its first ``limit`` rows (the scan stops there)."""
    rows = stmt.order_by(None)
    if limit is not None:
        rows = rows.limit(limit)
    return select(func.count()).select_from(rows.subquery())


def _matches(f: Filter, value: str, item: Any) -> bool:
    assert f.value is not None
    got = f.value(item)
    if f.kind is FilterKind.CONTAINS:
        return value.lower() in str(got).lower()
    if f.kind is FilterKind.EQUALS:
        return str(got) == value
    when = _when(f.key, value)
    return bool(got >= when) if f.kind is FilterKind.SINCE else bool(got < when)


def page_of_list(items: Sequence[T], state: TableState) -> tuple[TablePage[T], list[T]]:
    """One page of a list held in memory, and the whole filtered, sorted list (for the CSV)."""
    kept = [
        i
        for i in items
        if all(_matches(f, state.filters[f.key], i) for f in state.spec.filters if f.key in state.filters)
    ]
    column = state.spec.column(state.sort)
    assert column is not None and column.value is not None
    kept.sort(key=column.value, reverse=state.desc)
    pages = max(1, -(-len(kept) // state.size))
    state = replace(state, page=min(state.page, pages))
    start = (state.page - 1) * state.size
    return TablePage(state, kept[start : start + state.size], len(kept)), kept


def csv_lines(
    header: Sequence[str], rows: Iterator[Sequence[Any]], batch: int = CSV_BATCH_ROWS
) -> Iterator[str]:
    """CSV text in chunks of ``batch`` rows (``None`` cells empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else v for v in row])
        if n % batch == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def stream_csv(
    engine: Engine,
    stmt: AnySelect,
    state: TableState,
    header: Sequence[str],
    row: Callable[[Any], Sequence[Any]],
) -> Iterator[str]:
    """The whole filtered set of ``stmt`` as CSV, in the table's order, read in batches from a read-only
    session of its own (constant memory for 100,000 rows)."""

    def rows() -> Iterator[Sequence[Any]]:
        with Session(read_engine(engine)) as session:
            result = session.execute(ordered(stmt, state).execution_options(yield_per=CSV_BATCH_ROWS))
            for found in result:
                yield row(found)

    return csv_lines(header, rows())
