"""A month's hourly prices stored by column: one Parquet file per input set, read back as a matrix.

The file (in the settlement file store, :mod:`app.settlement.detail_store`, under its sha256) has the
columns ``hour_ending`` (UTC), ``node``, ``price`` and, when the upload gave them, ``congestion``
($/MWh, float64: the values the engine computes with), one row per pricing point and hour, the points
in code-point order of their ids and each point's hours in order: a (points x hours) matrix laid out
row by row. The same prices uploaded as CSV or Parquet, long or wide, give the same bytes; the file's
sha256 is the input set's ``file_sha256`` (and, for a set uploaded as a file, its ``content_hash``).
It is checked whenever a process first reads the file (:func:`app.settlement.detail_file.open_checked`),
so a changed file stops the settlement job instead of settling on other prices.

The job reads the matrix a row group at a time (:func:`read_prices`), never as text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from app.settlement.detail_file import open_checked, remember_verified
from app.settlement.detail_store import FileStore
from app.settlement.errors import DetailFileDamaged
from app.settlement.price_table import PriceTable
from settlement.prices import HourlyPrices

HOURS_PER_GROUP_ROWS = 744 * 1000
"""Rows per row group: a thousand pricing points of a 31-day month."""
WRITE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["hour_ending", "node"],
    "write_statistics": False,
}
WHAT = "the price file {key} of the input set"


def schema(with_congestion: bool) -> pa.Schema:
    fields = [
        ("hour_ending", pa.timestamp("us", tz="UTC")),
        ("node", pa.string()),
        ("price", pa.float64()),
    ]
    return pa.schema(fields + ([("congestion", pa.float64())] if with_congestion else []))


def _stamps(hours: pd.DatetimeIndex) -> pa.Array:
    return pa.array(hours.tz_convert("UTC").as_unit("us").asi8, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def write_prices(store: FileStore, table: PriceTable) -> str:
    """Store the matrix as one file (written to staging, hashed and moved in): its key (sha256)."""
    n_nodes, n_hours = table.price.shape
    target = schema(table.congestion is not None)
    stamps = _stamps(table.hours)
    nodes = pa.array(table.nodes, pa.string())
    store.staging.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=store.staging, suffix=".part")
    os.close(handle)
    staged = Path(name)
    per_group = max(1, HOURS_PER_GROUP_ROWS // n_hours)
    try:
        with pq.ParquetWriter(name, target, **WRITE_OPTIONS) as writer:
            for first in range(0, n_nodes, per_group):
                last = min(n_nodes, first + per_group)
                columns = {
                    "hour_ending": pc.take(stamps, pa.array(np.tile(np.arange(n_hours), last - first))),
                    "node": pc.take(nodes, pa.array(np.repeat(np.arange(first, last), n_hours))),
                    "price": pa.array(table.price[first:last].reshape(-1)),
                }
                if table.congestion is not None:
                    columns["congestion"] = pa.array(table.congestion[first:last].reshape(-1))
                writer.write_table(pa.table(columns, schema=target), row_group_size=HOURS_PER_GROUP_ROWS)
        key = store.put_file(staged)
    finally:
        staged.unlink(missing_ok=True)
    remember_verified(store, key, key)
    return key


def _damaged(key: str, problem: str) -> DetailFileDamaged:
    return DetailFileDamaged(f"{WHAT.format(key=key)} {problem}")


def read_prices(
    store: FileStore, key: str, sha256: str, hours: pd.DatetimeIndex, column: str
) -> HourlyPrices:
    """The stored ``column`` (``price`` or ``congestion``) as the engine's price matrix, the file's
    hash checked first; its layout is checked as it is read (every row group, every hour in order)."""
    expected = _stamps(hours).cast(pa.int64()).to_numpy()
    n_hours = len(hours)
    with open_checked(store, key, sha256, WHAT) as reader:
        parquet = pq.ParquetFile(reader)
        rows = parquet.metadata.num_rows
        if rows % n_hours:
            raise _damaged(key, f"has {rows} rows, not a multiple of the month's {n_hours} hours")
        values = np.empty(rows, dtype=np.float64)
        nodes: list[str] = []
        done = 0
        for batch in parquet.iter_batches(
            batch_size=HOURS_PER_GROUP_ROWS, columns=["hour_ending", "node", column]
        ):
            count = batch.num_rows
            if count % n_hours:
                raise _damaged(key, "has a row group that is not whole pricing points")
            stamps = batch.column("hour_ending").cast(pa.int64()).to_numpy(zero_copy_only=False)
            if not np.array_equal(
                stamps.reshape(-1, n_hours), np.broadcast_to(expected, (count // n_hours, n_hours))
            ):
                raise _damaged(key, "does not hold the month's hours in order")
            node = batch.column("node")
            firsts = pc.take(node, pa.array(np.arange(0, count, n_hours)))
            spread = pc.take(firsts, pa.array(np.repeat(np.arange(count // n_hours), n_hours)))
            if not pc.all(pc.equal(node, spread)).as_py():
                raise _damaged(key, "does not hold each pricing point's hours together")
            nodes.extend(firsts.to_pylist())
            values[done : done + count] = batch.column(column).to_numpy(zero_copy_only=False)
            done += count
    matrix = values.reshape(len(nodes), n_hours)
    matrix.setflags(write=False)
    return HourlyPrices(hours=hours, nodes=tuple(nodes), values=matrix)


def csv_chunks(store: FileStore, key: str, sha256: str, batch_rows: int = 100_000) -> Iterator[bytes]:
    """The stored prices as the long CSV (``hour_ending,node,price[,congestion]``, times ISO 8601 with
    ``+00:00``), a batch at a time."""
    reader = open_checked(store, key, sha256, WHAT)

    def chunks() -> Iterator[bytes]:
        with reader:
            parquet = pq.ParquetFile(reader)
            names = parquet.schema_arrow.names
            yield (",".join(names) + "\n").encode()
            for batch in parquet.iter_batches(batch_size=batch_rows):
                stamps = batch.column("hour_ending").cast(pa.int64()).to_numpy(zero_copy_only=False)
                text = _iso(stamps)
                out = pa.table({n: (text if n == "hour_ending" else batch.column(n)) for n in names})
                sink = pa.BufferOutputStream()
                pacsv.write_csv(out, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
                yield sink.getvalue().to_pybytes()

    return chunks()


def _iso(stamps: np.ndarray) -> pa.Array:
    """ISO 8601 text of many instants: each distinct one formatted once."""
    uniques, index = np.unique(stamps, return_inverse=True)
    texts = pa.array(
        [t.isoformat() for t in pd.DatetimeIndex(uniques.astype("datetime64[us]")).tz_localize("UTC")]
    )
    return pc.take(texts, pa.array(index.reshape(-1)))
