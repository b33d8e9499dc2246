"""A settlement run's per-FTR-hour detail as one Parquet file, and reading it back checked by its hash.

One row per holder, FTR and hour the FTR earns in, sorted by ``participant_id, hour_ending, ftr_id``
(code-point order of the id); the columns are :data:`SCHEMA`'s: integer cents and tenths of a MW,
the hour's payout ratio as a 12-place decimal. The file's sha256 is its key in the store
(:mod:`app.settlement.detail_store`) and is recorded on the run (``settlement_run.detail_sha256``);
every read recomputes it, so a changed or missing file is an error, never a wrong statement.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from api_schemas.settlement import FtrHourPublic
from app.csv_export import models_csv, write_csv
from app.settlement.detail_store import FileStore, content_key
from app.settlement.errors import DetailFileDamaged
from app.settlement.records import ratio
from app.units import from_cents, from_tenths
from market_terms.money import array_to_cents
from settlement.month import MonthSettlement
from settlement.statements import ftr_hourly_frame

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


def _holder_table(result: MonthSettlement, holder: str, stamps: pa.Array, ratios: pa.Array) -> pa.Table:
    frame = ftr_hourly_frame(result, holder)
    if frame.duplicated(["hour_ending", "ftr_id"]).any():
        # a holding whose MW changes within the month is several positions; summed per (hour, FTR)
        frame = frame.groupby(["hour_ending", "ftr_id"], sort=False, as_index=False).agg(
            source=("source", "first"),
            sink=("sink", "first"),
            mw=("mw", "sum"),
            **{m: (m, "sum") for m in MONEY},
        )
    hours = pd.Index([t.isoformat() for t in result.hours]).get_indexer(pd.Index(frame["hour_ending"]))
    take = pa.array(hours, pa.int64())
    columns: dict[str, Any] = {
        "participant_id": pa.array(np.full(len(frame), int(holder), dtype=np.int64)),
        "hour_ending": stamps.take(take),
        "ftr_id": pa.array(frame["ftr_id"].astype(str).to_numpy(), pa.string()),
        "source": pa.array(frame["source"].astype(str).to_numpy(), pa.string()),
        "sink": pa.array(frame["sink"].astype(str).to_numpy(), pa.string()),
        "mw_tenths": pa.array(np.rint(frame["mw"].to_numpy(dtype=np.float64) * 10).astype(np.int64)),
        **{f"{m}_cents": pa.array(array_to_cents(frame[m].to_numpy(dtype=np.float64))) for m in MONEY},
        "payout_ratio": ratios.take(take),
    }
    return pa.table(columns, schema=SCHEMA)


def holder_tables(result: MonthSettlement) -> Iterator[pa.Table]:
    """The run's detail one holder at a time, in file order (the values the statements always had)."""
    stamps = pa.array([h.to_pydatetime() for h in result.hours], pa.timestamp("us", tz="UTC"))
    ratios = pa.array([ratio(r) for r in result.hourly.payout_ratio.tolist()], RATIO_TYPE)
    for holder in sorted(result.holders.names, key=int):
        yield _holder_table(result, holder, stamps, ratios).sort_by(SORT)


def parquet_bytes(tables: Iterable[pa.Table]) -> bytes:
    """One file of the tables in order, each written as its own row groups (one holder's at a time)."""
    out = io.BytesIO()
    with pq.ParquetWriter(out, SCHEMA, compression="zstd") as writer:
        for table in tables:
            writer.write_table(table, row_group_size=ROW_GROUP)
    return out.getvalue()


def put_detail(store: FileStore, tables: Iterable[pa.Table]) -> tuple[str, str]:
    """The tables as one file in the store: ``(key, sha256)`` (equal in a content-addressed store)."""
    content = parquet_bytes(tables)
    return store.put(content), content_key(content)


def read_detail(store: FileStore, key: str, sha256: str, participant_id: int | None = None) -> pa.Table:
    """The run's detail (one holder's rows if given); :class:`DetailFileDamaged` if missing or changed."""
    content = open_checked(store, key, sha256)
    filters = None if participant_id is None else [("participant_id", "=", int(participant_id))]
    table = pq.read_table(io.BytesIO(content), filters=filters, schema=SCHEMA)
    return table


def open_checked(store: FileStore, key: str, sha256: str) -> bytes:
    try:
        content = store.open(key)
    except (FileNotFoundError, ValueError) as exc:
        raise DetailFileDamaged(f"the detail file {key} of the settlement run is missing") from exc
    if content_key(content) != sha256:
        raise DetailFileDamaged(
            f"the detail file {key} of the settlement run does not match its recorded sha256 {sha256}"
        )
    return content


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


def csv_chunks(table: pa.Table) -> Iterator[str]:
    """The detail as CSV text, a header then ``CSV_CHUNK`` rows at a time (the same text as one piece)."""
    columns = list(FtrHourPublic.model_fields)
    yield models_csv([], columns)
    for batch in table.to_batches(max_chunksize=CSV_CHUNK):
        yield models_csv(_models(batch), columns).split("\n", 1)[1]


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
