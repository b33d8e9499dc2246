"""An uploaded table of hourly prices (``da_prices``, ``rt_prices``) checked by column, never row by row.

Two layouts are accepted, as CSV (``text/csv``) or Parquet:

- **long**: ``hour_ending, node, price[, congestion]``, one row per pricing point and hour (the
  layout of every other settlement input);
- **wide**: ``hour_ending`` then one column per pricing point (its header is the point's id), one row
  per hour, the cells the prices ($/MWh). A month of 20,000 points is 744 rows. A header that names
  ``node``, ``price`` or ``congestion`` is read as the long layout.

Every cell is checked as the other uploads check theirs: a bad cell is reported as ``{row, field,
reason}`` (row 1 = first data row; in the wide layout the field is the pricing point's column), up
to :data:`app.settlement.upload.MAX_REPORTED_ERRORS`, and nothing is stored unless every cell is good.
Numbers are parsed by Arrow a column at a time; only a column that Arrow cannot read as numbers is
looked at value by value (each distinct text once) to name the bad cells. Every pricing point needs
every hour of the month exactly once.

The result is the price matrix (points x hours, points in code-point order of their ids), which
:mod:`app.settlement.price_file` stores as one Parquet file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from app.errors import FieldError, PayloadTooLarge, UploadFormatError, ValidationFailed
from app.settlement.input_kinds import ColumnType, InputKind
from app.settlement.upload import CSV_TYPES, MAX_ID_LENGTH, PARQUET_TYPES, Errors, time_problems
from market_calendar import month_hour_index
from market_terms.arrays import FloatArray, IntArray

LONG_COLUMNS = ("hour_ending", "node", "price", "congestion")
LONG_REQUIRED = ("hour_ending", "node", "price")
NOT_FINITE = "is not a finite number"
_BOM = b"\xef\xbb\xbf"
MAX_BLOCK = 1 << 28


@dataclass(frozen=True, slots=True, eq=False)
class PriceTable:
    """A checked month of prices: ``price[n, h]`` ($/MWh) of ``nodes[n]`` in ``hours[h]``; the
    congestion components likewise when the upload gave them (OA 5.2.4)."""

    hours: pd.DatetimeIndex
    nodes: tuple[str, ...]
    price: FloatArray
    congestion: FloatArray | None
    source_format: str

    @property
    def columns(self) -> tuple[str, ...]:
        return ("hour_ending", "node", "price") + (("congestion",) if self.congestion is not None else ())


def read_price_table(
    content: bytes, media_type: str, max_values: int, *, kind: InputKind, year: int, month: int
) -> PriceTable:
    """Check an uploaded price table (either layout); :class:`ValidationFailed` naming the bad cells."""
    if media_type in CSV_TYPES:
        table, fmt = _read_csv(content), "csv"
    elif media_type in PARQUET_TYPES:
        table, fmt = _read_parquet(content), "parquet"
    else:
        raise UploadFormatError(
            f"unsupported content type {media_type!r}: send text/csv or application/vnd.apache.parquet"
        )
    header = [str(n).strip() for n in table.column_names]
    table = table.rename_columns(header)
    hours = month_hour_index(year, month)
    try:
        if {"node", "price", "congestion"} & set(header):
            return _long(table, header, hours, kind, fmt, max_values)
        return _wide(table, header, hours, kind, fmt, max_values)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        # A Parquet column Arrow cannot turn into text or numbers (a list, a struct, ...).
        raise UploadFormatError(f"the upload has a column of an unsupported type: {exc}") from exc


def _read_csv(content: bytes) -> pa.Table:
    data = pa.py_buffer(content)
    if content.startswith(_BOM):
        data = data[len(_BOM) :]
    if data.size == 0:
        raise ValidationFailed("the upload has no header", errors=[FieldError("body", "empty")])
    try:
        first = bytes(data[: min(data.size, 1 << 20)]).split(b"\n", 1)[0]
        names = [n.strip() for n in first.decode("utf-8").rstrip("\r").split(",")]
        text_columns = {n: pa.string() for n in ("hour_ending", "node") if n in names}
        return pacsv.read_csv(
            pa.BufferReader(data),
            # Large blocks: a wide month (20,000 columns) in 1 MiB blocks is ~90 chunks of every column,
            # and reading it took 5x as long (measured: 28 s vs 6 s for 87 MB).
            read_options=pacsv.ReadOptions(block_size=min(max(data.size + 1, 1 << 20), MAX_BLOCK)),
            convert_options=pacsv.ConvertOptions(
                column_types=text_columns,
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except UnicodeDecodeError as exc:
        raise UploadFormatError("the CSV upload is not UTF-8 text") from exc
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise ValidationFailed("the upload has no header", errors=[FieldError("body", "empty")]) from exc
        raise UploadFormatError(f"the CSV cannot be read: {exc}") from exc


def _read_parquet(content: bytes) -> pa.Table:
    try:
        return pq.read_table(pa.BufferReader(content))
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise UploadFormatError(f"the Parquet upload cannot be read: {type(exc).__name__}") from exc


def _header_errors(header: list[str], allowed: tuple[str, ...] | None, required: tuple[str, ...]) -> None:
    missing = [n for n in required if n not in header]
    unknown = [c for c in header if allowed is not None and c not in allowed]
    repeated = sorted(c for c, n in Counter(header).items() if n > 1)
    errors = [FieldError(c, "required column missing", 0) for c in missing]
    if allowed is not None:
        errors += [FieldError(c, f"unknown column (expected {', '.join(allowed)})", 0) for c in unknown]
    errors += [FieldError(c, "column given more than once", 0) for c in repeated]
    if allowed is None:
        errors += [
            FieldError(c or "(empty)", "a pricing point id may not be empty", 0) for c in header if not c
        ]
        errors += [
            FieldError(c, f"a pricing point id is longer than {MAX_ID_LENGTH} characters", 0)
            for c in header
            if len(c) > MAX_ID_LENGTH
        ]
    if errors:
        raise ValidationFailed("the price table's header is wrong", errors=errors)


def _hour_codes(column: pa.ChunkedArray, name: str, hours: pd.DatetimeIndex, errors: Errors) -> IntArray:
    """Each row's hour of the month (``-1`` where the cell is bad, reported in ``errors``)."""
    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            texts = pc.cast(column, pa.string())
        else:
            stamps = pd.DatetimeIndex(column.to_pandas()).tz_convert("UTC")
            codes = hours.get_indexer(stamps)
            for r in np.flatnonzero(codes < 0)[:200]:
                errors.add(int(r) + 1, name, f"{stamps[r]!r} is not an hour ending of the month (UTC)")
            return codes.astype(np.int64)
    else:
        texts = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    encoded = pc.dictionary_encode(texts).combine_chunks()
    uniques = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
    row_code = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    parsed, problem = time_problems(uniques, ColumnType.HOUR, hours)
    hour_of_unique = hours.get_indexer(parsed)
    hour_of_unique[problem != ""] = -1
    bad = np.flatnonzero(problem[row_code] != "")
    for r in bad[:200]:
        errors.add(int(r) + 1, name, f"{uniques[row_code[r]]!r} {problem[row_code[r]]}")
    return hour_of_unique[row_code].astype(np.int64)


def _numbers(column: pa.ChunkedArray, name: str, errors: Errors) -> FloatArray:
    """The column as float64; a cell that is not a finite number is reported (and left NaN)."""
    values: FloatArray
    if (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_decimal(column.type)
    ):
        values = pc.cast(column, pa.float64()).to_numpy().astype(np.float64)
    else:
        texts = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
        try:
            values = pc.cast(texts, pa.float64()).to_numpy().astype(np.float64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = _numbers_one_by_one(texts)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        shown = pc.take(column, pa.array(bad[:200])).to_pylist()
        for r, cell in zip(bad[:200], shown, strict=True):
            errors.add(int(r) + 1, name, f"{'' if cell is None else str(cell)!r} {NOT_FINITE}")
    return values


def _numbers_one_by_one(texts: pa.ChunkedArray) -> FloatArray:
    """Only for a column Arrow could not read as numbers: each distinct text parsed once."""
    encoded = pc.dictionary_encode(texts).combine_chunks()
    parsed = np.empty(len(encoded.dictionary), dtype=np.float64)
    for i, text in enumerate(encoded.dictionary.to_pylist()):
        try:
            parsed[i] = float(text)
        except (TypeError, ValueError):
            parsed[i] = np.nan
    return parsed[encoded.indices.to_numpy(zero_copy_only=False)]


def _long(
    table: pa.Table, header: list[str], hours: pd.DatetimeIndex, kind: InputKind, fmt: str, max_values: int
) -> PriceTable:
    _header_errors(header, LONG_COLUMNS, LONG_REQUIRED)
    if table.num_rows > max_values:
        raise PayloadTooLarge(
            f"the upload has {table.num_rows} rows; at most {max_values} are accepted at once"
        )
    if table.num_rows == 0:
        raise ValidationFailed("the upload has no rows", errors=[FieldError("body", "no rows")])
    errors = Errors()
    hour = _hour_codes(table.column("hour_ending"), "hour_ending", hours, errors)
    node_text = pc.utf8_trim_whitespace(pc.cast(table.column("node"), pa.string()))
    lengths = pc.utf8_length(node_text).to_numpy(zero_copy_only=False)
    for r in np.flatnonzero(lengths == 0)[:200]:
        errors.add(int(r) + 1, "node", "is empty")
    for r in np.flatnonzero(lengths > MAX_ID_LENGTH)[:200]:
        errors.add(int(r) + 1, "node", f"is longer than {MAX_ID_LENGTH} characters")
    price = _numbers(table.column("price"), "price", errors)
    congestion = (
        _numbers(table.column("congestion"), "congestion", errors) if "congestion" in header else None
    )
    errors.raise_if_any(f"the {kind.value} upload has bad values")
    encoded = pc.dictionary_encode(node_text).combine_chunks()
    names = encoded.dictionary.to_pylist()
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    node = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    nodes = tuple(names[i] for i in order)
    n_hours = len(hours)
    flat = node * n_hours + hour
    counts = np.bincount(flat, minlength=len(nodes) * n_hours)
    if (counts > 1).any():
        repeated = np.flatnonzero(pd.Series(flat).duplicated().to_numpy())
        for r in repeated[:200]:
            errors.add(
                int(r) + 1,
                "hour_ending",
                f"node {nodes[node[r]]!r} at {hours[hour[r]].isoformat()} is given more than once",
            )
        errors.raise_if_any(f"the {kind.value} upload repeats a pricing point's hour")
    _raise_if_gaps(counts.reshape(len(nodes), n_hours) == 0, nodes, hours, kind)
    return PriceTable(
        hours, nodes, _matrix(price, flat, len(nodes), n_hours), None if congestion is None else
        _matrix(congestion, flat, len(nodes), n_hours), fmt,
    )  # fmt: skip


def _matrix(values: FloatArray, flat: IntArray, n_nodes: int, n_hours: int) -> FloatArray:
    out = np.empty(n_nodes * n_hours, dtype=np.float64)
    out[flat] = values
    out += 0.0  # -0.0 -> 0.0: the same prices give the same file
    return out.reshape(n_nodes, n_hours)


def _raise_if_gaps(
    missing: np.ndarray, nodes: tuple[str, ...], hours: pd.DatetimeIndex, kind: InputKind
) -> None:
    """``missing[n, h]``: pricing point ``n`` has no price for hour ``h`` (a problem without a row)."""
    gaps = np.argwhere(missing)
    if len(gaps) == 0:
        return
    errors = [
        FieldError("node", f"node {nodes[n]!r} has no price for hour ending {hours[h].isoformat()}")
        for n, h in gaps[:100]
    ]
    raise ValidationFailed(
        f"the {kind.value} upload is not usable: {len(gaps)} (pricing point, hour) pairs have no price; "
        "nothing was stored",
        errors=errors,
    )


def _wide(
    table: pa.Table, header: list[str], hours: pd.DatetimeIndex, kind: InputKind, fmt: str, max_values: int
) -> PriceTable:
    _header_errors(header, None, ("hour_ending",))
    node_columns = [c for c in header if c != "hour_ending"]
    if not node_columns:
        raise ValidationFailed(
            "the price table has no pricing point columns",
            errors=[
                FieldError("node", "required column missing (long layout), or no pricing point column", 0)
            ],
        )
    cells = table.num_rows * len(node_columns)
    if cells > max_values:
        raise PayloadTooLarge(f"the upload has {cells} prices; at most {max_values} are accepted at once")
    if table.num_rows == 0:
        raise ValidationFailed("the upload has no rows", errors=[FieldError("body", "no rows")])
    errors = Errors()
    hour = _hour_codes(table.column("hour_ending"), "hour_ending", hours, errors)
    n_hours = len(hours)
    counts = np.bincount(hour[hour >= 0], minlength=n_hours)
    for r in np.flatnonzero(pd.Series(hour).duplicated().to_numpy() & (hour >= 0))[:200]:
        errors.add(
            int(r) + 1, "hour_ending", f"hour ending {hours[hour[r]].isoformat()} is given more than once"
        )
    nodes = tuple(sorted(node_columns))
    matrix = np.empty((len(nodes), n_hours), dtype=np.float64)
    good = hour >= 0
    for n, name in enumerate(nodes):
        values = _numbers(table.column(name), name, errors)
        if not errors.items:
            matrix[n, hour[good]] = values[good]
    errors.raise_if_any(f"the {kind.value} upload has bad values")
    absent = np.flatnonzero(counts == 0)
    if len(absent):
        raise ValidationFailed(
            f"the {kind.value} upload is not usable: {len(absent)} hour(s) of the month have no row; "
            "nothing was stored",
            errors=[
                FieldError("hour_ending", f"hour ending {hours[h].isoformat()} has no row")
                for h in absent[:100]
            ],
        )
    matrix += 0.0
    return PriceTable(hours, nodes, matrix, None, fmt)
