"""Read an uploaded input table (CSV or Parquet), check every row, and put it in canonical form.

Every bad cell is reported as ``{row, field, reason}`` (row 1 = first data row, ``field`` the
column), up to :data:`MAX_REPORTED_ERRORS`; nothing is stored unless every row is good. The
canonical form is CSV with the kind's columns in a fixed order, times as UTC ISO 8601, decimals
normalised (``20.50`` -> ``20.5``), ids stripped; its SHA-256 is the input set's content hash, so the
same data uploaded as CSV or Parquet, or with other spacing, is the same input set.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from app.errors import FieldError, PayloadTooLarge, UploadFormatError, ValidationFailed
from app.settlement.csv_format import SettlementCsvError, read_settlement_csv
from app.settlement.input_kinds import SPECS, ColumnType, InputKind
from market_calendar import month_hour_index
from market_terms import HEDGE_ALIASES, PERIOD_CLASS_ALIASES
from settlement.positions import Acquisition

MAX_REPORTED_ERRORS = 100
MAX_ID_LENGTH = 100
CSV_TYPES = ("text/csv", "application/csv")
PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_CHOICES: dict[ColumnType, Mapping[str, str]] = {
    ColumnType.PERIOD_CLASS: {alias: c.value for alias, c in PERIOD_CLASS_ALIASES.items()},
    ColumnType.HEDGE: {alias: h.value for alias, h in HEDGE_ALIASES.items()},
    ColumnType.ACQUISITION: {a.value: a.value for a in Acquisition},
}
"""Accepted spelling (lower case; matched ignoring case) -> the canonical value stored."""


@dataclass(frozen=True, slots=True)
class CanonicalTable:
    """A checked table: canonical CSV bytes, their hash, and the rows as text columns."""

    frame: pd.DataFrame
    content: bytes
    content_hash: str
    source_format: str

    def compressed(self) -> bytes:
        return zlib.compress(self.content, level=6)


def decompress(stored: bytes) -> pd.DataFrame:
    """The canonical table of a stored input set (every column text)."""
    return read_csv(zlib.decompress(stored))


def read_csv(content: bytes) -> pd.DataFrame:
    """An uploaded (or stored) CSV by the one reader of the format, its errors as problem responses."""
    try:
        return read_settlement_csv(content)
    except SettlementCsvError as exc:
        if exc.empty:
            raise ValidationFailed("the upload has no header", errors=[FieldError("body", "empty")]) from exc
        if isinstance(exc.__cause__, UnicodeDecodeError):
            raise UploadFormatError("the CSV upload is not UTF-8 text") from exc
        raise UploadFormatError(str(exc)) from exc


def _read_parquet(content: bytes) -> pd.DataFrame:
    try:
        raw = pd.read_parquet(io.BytesIO(content))
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise UploadFormatError(f"the Parquet upload cannot be read: {type(exc).__name__}") from exc
    frame = pd.DataFrame(index=raw.index)
    for name in raw.columns:
        column = raw[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            text = column.map(lambda t: "" if pd.isna(t) else t.isoformat())
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            # A timestamp without a zone cannot be placed in time: say so row by row below.
            text = column.map(lambda t: "" if pd.isna(t) else t.isoformat())
        else:
            text = column.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        frame[str(name)] = text.astype(object)
    return frame.reset_index(drop=True)


def read_table(content: bytes, media_type: str, max_rows: int) -> tuple[pd.DataFrame, str]:
    """The uploaded table, every cell as text, and its format (``csv`` or ``parquet``)."""
    if media_type in CSV_TYPES:
        frame, fmt = read_csv(content), "csv"
    elif media_type in PARQUET_TYPES:
        frame, fmt = _read_parquet(content), "parquet"
    else:
        raise UploadFormatError(
            f"unsupported content type {media_type!r}: send text/csv or application/vnd.apache.parquet"
        )
    if len(frame) > max_rows:
        raise PayloadTooLarge(f"the upload has {len(frame)} rows; at most {max_rows} are accepted at once")
    return frame, fmt


class Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, row: int, column: str, reason: str) -> None:
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(FieldError(column, reason, row))

    def raise_if_any(self, detail: str) -> None:
        if self.items:
            rows = len({e.row for e in self.items if e.row is not None})
            raise ValidationFailed(
                f"{detail}: {rows} bad row(s) listed; nothing was stored", errors=self.items
            )


def canonical_table(
    kind: InputKind,
    frame: pd.DataFrame,
    *,
    year: int,
    month: int,
    source_format: str,
    participants: Callable[[Collection[int]], set[int]] | None,
    allow_empty: bool = False,
) -> CanonicalTable:
    """Check ``frame`` (text cells) as an input of ``kind`` for ``(year, month)``; canonical form.

    ``participants(ids)`` returns which of ``ids`` are participants that may appear in this table;
    ``None`` when participants are named by text, not by id (``ftr settle``: holders as in its FTR file).
    An empty table is refused unless ``allow_empty`` (a holdings snapshot of a month nobody holds in).
    """
    spec = SPECS[kind]
    header = list(frame.columns)
    missing = [n for n, _ in spec.required if n not in header]
    unknown = [c for c in header if c not in spec.names]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or repeated:
        errors = [FieldError(c, "required column missing", 0) for c in missing]
        errors += [FieldError(c, f"unknown column (expected {', '.join(spec.names)})", 0) for c in unknown]
        errors += [FieldError(c, "column given more than once", 0) for c in repeated]
        raise ValidationFailed(f"the {kind.value} header is wrong", errors=errors)
    if len(frame) == 0 and not allow_empty:
        raise ValidationFailed("the upload has no rows", errors=[FieldError("body", "no rows")])
    columns = [n for n in spec.names if n in header]
    problems = Errors()
    out = pd.DataFrame(index=frame.index)
    hours = month_hour_index(year, month) if not spec.yearly else None
    for name in columns:
        kind_of = spec.column_type(name)
        values = frame[name].astype(str).str.strip()
        if kind_of in (ColumnType.HOUR, ColumnType.INTERVAL):
            assert hours is not None
            out[name] = _times(values, name, kind_of, hours, problems)
        elif kind_of == ColumnType.PARTICIPANT and participants is not None:
            out[name] = _participants(values, name, participants, problems)
        elif kind_of == ColumnType.PARTICIPANT:
            out[name] = _texts(values, name, problems, optional=False)
        elif kind_of == ColumnType.TEXT:
            out[name] = _texts(values, name, problems, optional=name not in dict(spec.required))
        elif kind_of in _CHOICES:
            choices = _CHOICES[kind_of]
            canonical = values.str.lower().map(choices)
            for r in np.flatnonzero(canonical.isna().to_numpy()):
                accepted = ", ".join(choices)
                problems.add(int(r) + 1, name, f"{values.iloc[r]!r} is not one of {accepted} (any case)")
            out[name] = canonical.fillna(values)
        else:
            out[name] = _decimals(values, name, kind_of, problems, optional=name not in dict(spec.required))
    problems.raise_if_any(f"the {kind.value} upload has bad values")
    out = out[columns].reset_index(drop=True)
    content = out.to_csv(index=False, lineterminator="\n").encode()
    return CanonicalTable(out, content, hashlib.sha256(content).hexdigest(), source_format)


def _times(
    values: pd.Series, column: str, kind: ColumnType, hours: pd.DatetimeIndex, errors: Errors
) -> pd.Series:
    codes, uniques = pd.factorize(values)
    parsed, problem = time_problems(pd.Series(uniques, dtype=object), kind, hours)
    bad_rows = np.flatnonzero(problem[codes] != "")
    for r in bad_rows:
        errors.add(int(r) + 1, column, f"{values.iloc[r]!r} {problem[codes[r]]}")
    iso = np.array([t.isoformat() if not pd.isna(t) else "" for t in parsed], dtype=object)
    return pd.Series(iso[codes], index=values.index, dtype=object)


def time_problems(
    texts: pd.Series, kind: ColumnType, hours: pd.DatetimeIndex
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Distinct time texts parsed (UTC), and per text the problem (``""`` when it is a time of the
    month of the column's kind): each distinct text is parsed once."""
    has_offset = texts.str.contains(_OFFSET).to_numpy(dtype=bool)
    parsed = pd.DatetimeIndex(
        pd.to_datetime(texts.where(has_offset), utc=True, format="ISO8601", errors="coerce")
    )
    first = hours[0] - pd.Timedelta(hours=1)
    if kind == ColumnType.HOUR:
        inside = hours.get_indexer(parsed) >= 0
        where = "an hour ending of the month"
    else:
        inside = np.asarray((parsed > first) & (parsed <= hours[-1]) & (parsed == parsed.floor("5min")))
        where = "a 5-minute interval ending of the month"
    problem = np.full(len(texts), "", dtype=object)
    problem[~inside] = f"is not {where} ({first.isoformat()} < t <= {hours[-1].isoformat()}, UTC)"
    problem[np.asarray(parsed.isna())] = "is not an ISO 8601 time"
    problem[~has_offset] = "is not an ISO 8601 time with a UTC offset"
    return parsed, problem


def _texts(values: pd.Series, column: str, errors: Errors, *, optional: bool) -> pd.Series:
    lengths = values.str.len().to_numpy()
    for r in np.flatnonzero((lengths == 0) & (not optional)):
        errors.add(int(r) + 1, column, "is empty")
    for r in np.flatnonzero(lengths > MAX_ID_LENGTH):
        errors.add(int(r) + 1, column, f"is longer than {MAX_ID_LENGTH} characters")
    return values


def _decimals(
    values: pd.Series, column: str, kind: ColumnType, errors: Errors, *, optional: bool
) -> pd.Series:
    """Each distinct text is parsed once (columns repeat values a lot: zeros, flat prices)."""
    codes, uniques = pd.factorize(values)
    normal: list[str] = []
    problem: list[str] = []
    for text in uniques.tolist():
        reason, value = _decimal(str(text), kind, optional)
        normal.append(value)
        problem.append(reason)
    reasons = np.asarray(problem, dtype=object)[codes]
    for r in np.flatnonzero(reasons != ""):
        errors.add(int(r) + 1, column, f"{values.iloc[r]!r} {reasons[r]}")
    return pd.Series(np.asarray(normal, dtype=object)[codes], index=values.index, dtype=object)


def _decimal(text: str, kind: ColumnType, optional: bool) -> tuple[str, str]:
    """``(problem, canonical text)``; the problem is empty when the text is a good number."""
    if text == "" and optional:
        return "", ""
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        return "is not a finite number", ""
    if kind == ColumnType.POSITIVE and number <= 0:
        return "must be > 0", ""
    if kind == ColumnType.NONNEGATIVE and number < 0:
        return "must be >= 0", ""
    normal = number.normalize()
    return "", format(normal, "f") if normal != 0 else "0"


def _participants(
    values: pd.Series, column: str, participants: Callable[[Collection[int]], set[int]], errors: Errors
) -> pd.Series:
    numbers: list[int | None] = []
    for r, text in enumerate(values.tolist(), start=1):
        if text.isdigit() and 0 < int(text) < 2**31:
            numbers.append(int(text))
        else:
            numbers.append(None)
            errors.add(r, column, f"{text!r} is not a participant id")
    known = participants({n for n in numbers if n is not None})
    for r, n in enumerate(numbers, start=1):
        if n is not None and n not in known:
            errors.add(r, column, f"participant {n} does not exist or cannot appear here")
    return pd.Series(["" if n is None else str(n) for n in numbers], index=values.index, dtype=object)
