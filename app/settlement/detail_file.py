"""A settlement run's per-FTR-hour detail as one Parquet file, and reading it back checked by its hash.

One row per holder, FTR and hour the FTR earns in, sorted by ``participant_id, hour_ending, ftr_id``
(code-point order of the id); the columns are :data:`SCHEMA`'s: integer cents and tenths of a MW,
the hour's payout ratio as a 12-place decimal. The file's sha256 is its key in the store
(:mod:`app.settlement.detail_store`) and is recorded on the run (``settlement_run.detail_sha256``).

When the hash is checked (docs/audit.md, "The detail files"): a process checks a file's sha256 the
first time it reads it (and the job when it writes it) and remembers the file's ``(size, mtime_ns)``
as verified; later reads re-hash only if either changed, so a statement read costs the holder's row
groups, not the whole file. ``ftr audit verify`` (:func:`check_file`) always re-hashes the whole file.
A missing file, or one that no longer matches, is an error, never a wrong statement.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from api_schemas.settlement import FtrHourPublic
from app.csv_export import models_csv, write_csv
from app.settlement.detail_store import FileStore, stream_key
from app.settlement.errors import DetailFileDamaged
from app.settlement.records import ratio
from app.units import from_cents, from_tenths
from settlement.month import MonthSettlement
from settlement.statements import FtrHours, ftr_hourly_cents

MONEY = ("target_allocation_before_forfeiture", "forfeited", "target_allocation", "credit")
RATIO_TYPE = pa.decimal128(20, 12)
SCHEMA = pa.schema(
    [
        ("participant_id", pa.int64()),
        ("hour_ending", pa.timestamp("us", tz="UTC")),
        ("ftr_id", pa.string()),
        ("source", pa.string()),
        ("sink", pa.string()),
        ("mw_tenths", pa.int64()),
        *[(f"{m}_cents", pa.int64()) for m in MONEY],
        ("payout_ratio", RATIO_TYPE),
    ]
)
SORT = [("participant_id", "ascending"), ("hour_ending", "ascending"), ("ftr_id", "ascending")]
ROW_GROUP = 256 * 1024
CSV_CHUNK = 20_000
WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    # Dictionary pages only where values repeat (ids, hours, the hour's ratio): the cents columns
    # would fall back to plain after a costly attempt.
    "use_dictionary": ["participant_id", "hour_ending", "ftr_id", "source", "sink", "payout_ratio"],
    # Min/max statistics only where a reader uses them (a holder's row groups, :func:`_row_groups`):
    # string and decimal statistics were a third of the encoding time.
    "write_statistics": ["participant_id"],
    # Integer amounts delta-encoded (bit-packed differences) before zstd: less to compress.
    "column_encoding": {
        name: "DELTA_BINARY_PACKED" for name in ("mw_tenths", *[f"{m}_cents" for m in MONEY])
    },
}
"""How the detail file is encoded (``python -m benchmarks.detail_encoding``; figures in
docs/benchmarks/settlement_service.md: about 2.5x less CPU than zstd with every other default, and a
third smaller). The column types are unchanged, so the file reads as before."""


def _holder_table(result: MonthSettlement, holder: str, stamps: pa.Array, ratios: pa.Array) -> pa.Table:
    """The holder's rows in file order (hour, then FTR id): the cents as the statements round them."""
    hours = ftr_hourly_cents(result, holder)
    pos, hour = hours.position, hours.hour
    positions = result.positions
    held = positions.ftr_id[positions.holder == holder]
    if len(set(held.tolist())) != len(held):
        return _summed_holder_table(result, holder, hours, stamps, ratios)
    # The text columns repeat per hour: taken from the holder's positions' values (one Arrow string
    # each) by index, in Arrow, never as one Python string per row.
    held_positions, index = np.unique(pos, return_inverse=True)
    take_position = pa.array(index.reshape(-1).astype(np.int64))
    take_hour = pa.array(hour, pa.int64())
    return pa.table(
        {
            "participant_id": pa.array(np.full(len(pos), int(holder), dtype=np.int64)),
            "hour_ending": stamps.take(take_hour),
            **{
                name: pa.array(getattr(positions, name)[held_positions], pa.string()).take(take_position)
                for name in ("ftr_id", "source", "sink")
            },
            "mw_tenths": pa.array(np.rint(positions.mw[pos].astype(np.float64) * 10).astype(np.int64)),
            **{f"{m}_cents": pa.array(hours.cents[m]) for m in MONEY},
            "payout_ratio": ratios.take(take_hour),
        },
        schema=SCHEMA,
    )


def _summed_holder_table(
    result: MonthSettlement, holder: str, hours: FtrHours, stamps: pa.Array, ratios: pa.Array
) -> pa.Table:
    """A holding whose MW changes within the month is several positions: summed per (hour, FTR)."""
    pos = hours.position
    frame = (
        pd.DataFrame(
            {
                "hour": hours.hour,
                "ftr_id": result.positions.ftr_id[pos],
                "source": result.positions.source[pos],
                "sink": result.positions.sink[pos],
                "mw_tenths": np.rint(result.positions.mw[pos].astype(np.float64) * 10).astype(np.int64),
                **{f"{m}_cents": hours.cents[m] for m in MONEY},
            }
        )
        .groupby(["hour", "ftr_id"], sort=True, as_index=False)
        .agg(
            source=("source", "first"),
            sink=("sink", "first"),
            mw_tenths=("mw_tenths", "sum"),
            **{f"{m}_cents": (f"{m}_cents", "sum") for m in MONEY},
        )
    )
    take = pa.array(frame["hour"].to_numpy(np.int64))
    return pa.table(
        {
            "participant_id": pa.array(np.full(len(frame), int(holder), dtype=np.int64)),
            "hour_ending": stamps.take(take),
            **{name: pa.array(frame[name].to_numpy(), pa.string()) for name in ("ftr_id", "source", "sink")},
            "mw_tenths": pa.array(frame["mw_tenths"].to_numpy(np.int64)),
            **{f"{m}_cents": pa.array(frame[f"{m}_cents"].to_numpy(np.int64)) for m in MONEY},
            "payout_ratio": ratios.take(take),
        },
        schema=SCHEMA,
    )


def holder_tables(result: MonthSettlement) -> Iterator[pa.Table]:
    """The run's detail one holder at a time, in file order (the values the statements always had)."""
    stamps = pa.array([h.to_pydatetime() for h in result.hours], pa.timestamp("us", tz="UTC"))
    ratios = pa.array([ratio(r) for r in result.hourly.payout_ratio.tolist()], RATIO_TYPE)
    for holder in sorted(result.holders.names, key=int):
        yield _holder_table(result, holder, stamps, ratios)


def write_detail(store: FileStore, tables: Iterable[pa.Table]) -> tuple[str, str]:
    """The tables as one file in the store, written a holder at a time to a staging file, never held
    in memory whole: ``(key, sha256)`` (equal in a content-addressed store). The file counts as verified
    in this process."""
    store.staging.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=store.staging, suffix=".part")
    os.close(handle)
    staged = Path(name)
    try:
        with pq.ParquetWriter(name, SCHEMA, **WRITE_OPTIONS) as writer:
            for table in tables:
                writer.write_table(table, row_group_size=ROW_GROUP)
        key = store.put_file(staged)
    finally:
        staged.unlink(missing_ok=True)
    remember_verified(store, key, key)
    return key, key


_VERIFIED: OrderedDict[tuple[int, str, str], tuple[int, int]] = OrderedDict()
"""(store, key, sha256) -> the (size, mtime_ns) the file had when its sha256 was last found right."""
_VERIFIED_MAX = 4096
_LOCK = threading.Lock()


def remember_verified(store: FileStore, key: str, sha256: str) -> None:
    stamp = store.stamp(key)
    with _LOCK:
        _VERIFIED[(id(store), key, sha256)] = stamp
        _VERIFIED.move_to_end((id(store), key, sha256))
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)


RUN_DETAIL = "the detail file {key} of the settlement run"


def _missing(key: str, what: str) -> DetailFileDamaged:
    return DetailFileDamaged(f"{what.format(key=key)} is missing")


def check_file(store: FileStore, key: str, sha256: str, what: str = RUN_DETAIL) -> None:
    """Hash the whole stored file now (no cache): :class:`DetailFileDamaged` if missing or changed.
    ``what`` names the file in the error (``{key}`` replaced by its key)."""
    try:
        with store.open(key) as reader:
            found = stream_key(reader)
    except (FileNotFoundError, ValueError) as exc:
        raise _missing(key, what) from exc
    if found != sha256:
        raise DetailFileDamaged(f"{what.format(key=key)} does not match its recorded sha256 {sha256}")
    remember_verified(store, key, sha256)


def open_checked(store: FileStore, key: str, sha256: str, what: str = RUN_DETAIL) -> BinaryIO:
    """A reader of the stored file, its sha256 checked unless this process already found it right at
    the file's present size and modification time."""
    try:
        stamp = store.stamp(key)
    except (FileNotFoundError, ValueError) as exc:
        raise _missing(key, what) from exc
    with _LOCK:
        known = _VERIFIED.get((id(store), key, sha256))
    if known != stamp:
        check_file(store, key, sha256, what)
    try:
        return store.open(key)
    except (FileNotFoundError, ValueError) as exc:
        raise _missing(key, what) from exc


def _row_groups(parquet: pq.ParquetFile, participant_id: int | None) -> list[int]:
    """The row groups that may hold ``participant_id``'s rows (from the column statistics)."""
    groups = range(parquet.metadata.num_row_groups)
    if participant_id is None:
        return list(groups)
    out = []
    for g in groups:
        stats = parquet.metadata.row_group(g).column(0).statistics
        if stats is None or not stats.has_min_max or stats.min <= participant_id <= stats.max:
            out.append(g)
    return out


def detail_batches(
    store: FileStore, key: str, sha256: str, participant_id: int | None = None, batch_rows: int = 20_000
) -> Iterator[pa.RecordBatch]:
    """The run's detail (one holder's rows if given) in batches, read lazily; the file is checked
    (:func:`open_checked`) before the first batch is produced (call :func:`next` or check first)."""
    reader = open_checked(store, key, sha256)

    def batches() -> Iterator[pa.RecordBatch]:
        with reader:
            parquet = pq.ParquetFile(reader)
            groups = _row_groups(parquet, participant_id)
            if not groups:
                return
            for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=groups):
                if participant_id is not None:
                    batch = batch.filter(pc.equal(batch.column("participant_id"), participant_id))
                if batch.num_rows:
                    yield batch.cast(SCHEMA) if batch.schema != SCHEMA else batch

    return batches()


def read_detail(store: FileStore, key: str, sha256: str, participant_id: int | None = None) -> pa.Table:
    """The run's detail (one holder's rows if given); :class:`DetailFileDamaged` if missing or changed."""
    return pa.Table.from_batches(list(detail_batches(store, key, sha256, participant_id)), schema=SCHEMA)


def _models(batch: pa.RecordBatch) -> Iterator[FtrHourPublic]:
    data = batch.to_pydict()
    for i in range(batch.num_rows):
        yield FtrHourPublic(
            hour_ending=data["hour_ending"][i],
            ftr_id=data["ftr_id"][i],
            source=data["source"][i],
            sink=data["sink"][i],
            mw=from_tenths(data["mw_tenths"][i]),
            **{m: from_cents(data[f"{m}_cents"][i]) for m in MONEY},
            payout_ratio=data["payout_ratio"][i],
        )


def public_rows(table: pa.Table) -> list[FtrHourPublic]:
    return [m for batch in table.to_batches() for m in _models(batch)]


def csv_chunks(batches: Iterable[pa.RecordBatch], preamble: str = "") -> Iterator[str]:
    """The detail as CSV text: ``preamble``, a header, then one chunk per batch (the same text as one
    piece)."""
    columns = list(FtrHourPublic.model_fields)
    yield preamble + models_csv([], columns)
    for batch in batches:
        for start in range(0, batch.num_rows, CSV_CHUNK):
            part = batch.slice(start, CSV_CHUNK)
            yield models_csv(_models(part), columns).split("\n", 1)[1]


class _Drain(io.RawIOBase):
    """A write-only file whose bytes are taken out as they come (a Parquet file streamed)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def parquet_chunks(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, metadata: dict[str, str] | None = None
) -> Iterator[bytes]:
    """A Parquet file of ``batches`` as bytes, one row group per batch, yielded as it is written."""
    drain = _Drain()
    with pq.ParquetWriter(drain, schema.with_metadata(metadata or {}), compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            if chunk := drain.take():
                yield chunk
    if chunk := drain.take():
        yield chunk


def holder_sums(table: pa.Table) -> dict[int, dict[str, int]]:
    """Per holder: the sum of each cents column (what the stored month totals are checked against)."""
    grouped = table.group_by("participant_id").aggregate([(f"{m}_cents", "sum") for m in MONEY])
    out: dict[int, dict[str, int]] = {}
    for row in grouped.to_pylist():
        out[int(row["participant_id"])] = {m: int(row[f"{m}_cents_sum"]) for m in MONEY}
    return out


KEYS = ["participant_id", "hour_ending", "ftr_id"]
DIFFERENCE_COLUMNS = ["participant_id", "hour_ending", "ftr_id"] + [
    f"{m}_{side}" for m in MONEY for side in ("old", "new")
]


def ftr_differences(old: pa.Table, new: pa.Table) -> pa.Table:
    """Per holder, FTR and hour where any amount differs between two runs' details, compared by column.

    A row in only one run counts as zero in the other. Columns: the keys, then ``<amount>_old`` and
    ``<amount>_new`` in integer cents for each of :data:`MONEY`; sorted like the files.
    """
    amounts = [f"{m}_cents" for m in MONEY]
    joined = old.select(KEYS + amounts).join(
        new.select(KEYS + amounts),
        keys=KEYS,
        join_type="full outer",
        left_suffix="_old",
        right_suffix="_new",
        coalesce_keys=True,
    )
    changed = None
    columns: dict[str, pa.ChunkedArray] = {k: joined.column(k) for k in KEYS}
    for m in MONEY:
        before = pc.fill_null(joined.column(f"{m}_cents_old"), 0)
        after = pc.fill_null(joined.column(f"{m}_cents_new"), 0)
        columns[f"{m}_old"], columns[f"{m}_new"] = before, after
        differs = pc.not_equal(before, after)
        changed = differs if changed is None else pc.or_(changed, differs)
    table = pa.table(columns)
    if changed is not None:
        table = table.filter(changed)
    return table.sort_by(SORT)


def differences_csv_chunks(table: pa.Table) -> Iterator[str]:
    """:func:`ftr_differences` as CSV ($ with two places, times ISO 8601), a header then chunks."""
    yield write_csv(DIFFERENCE_COLUMNS, [])
    for batch in table.to_batches(max_chunksize=CSV_CHUNK):
        data = batch.to_pydict()
        rows = (
            [
                data["participant_id"][i],
                data["hour_ending"][i].astimezone(UTC).isoformat().replace("+00:00", "Z"),
                data["ftr_id"][i],
                *[str(from_cents(data[c][i])) for c in DIFFERENCE_COLUMNS[3:]],
            ]
            for i in range(batch.num_rows)
        )
        yield write_csv([], rows).split("\n", 1)[1]
