"""settlement_input_set.file_key, file_sha256: hourly prices stored as one Parquet file per input set

Revision ID: 0760_settlement_price_files
Revises: 0712_portal_indexes
Create Date: 2026-12-03 19:30:00.000000

Every stored ``da_prices`` and ``rt_prices`` set gets a Parquet file in the settlement file store
(``<store>/<sha256[:2]>/<sha256>.parquet``; the store is the ``settlement_store`` attribute of the
Alembic config, else ``FTR_SETTLEMENT_STORE``, else ``data/settlement-detail``), laid out as
``app.settlement.price_file`` lays it out at this revision (written out here so that the migration
does not change when the application does): columns ``hour_ending, node, price[, congestion]``,
pricing points in code-point order of their ids, each point's hours in order. The file's sha256 is
recorded as ``file_sha256``; ``content`` (the canonical CSV) and ``content_hash`` are kept, so the
runs' input hashes and the CSV download stay as they were. Downgrade writes the canonical CSV of a
set stored only as a file back into ``content`` and drops the two columns.
"""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from alembic import context, op

revision: str = "0760_settlement_price_files"
down_revision: str | None = "0720_auction_contab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRICE_KINDS = ("da_prices", "rt_prices")
GROUP_ROWS = 744 * 1000
WRITE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["hour_ending", "node"],
    "write_statistics": False,
}

input_set = sa.table(
    "settlement_input_set",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("columns", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("file_key", sa.String),
    sa.column("file_sha256", sa.String),
)


def _store_root() -> Path:
    configured = context.config.attributes.get("settlement_store") if context.config is not None else None
    location = configured or os.environ.get("FTR_SETTLEMENT_STORE") or "data/settlement-detail"
    return Path(str(location).removeprefix("file://"))


def _path(root: Path, key: str) -> Path:
    return root / key[:2] / f"{key}.parquet"


def price_file(canonical_csv: bytes) -> bytes:
    """The Parquet file of a stored canonical price CSV (every node priced every hour once)."""
    frame = pd.read_csv(io.BytesIO(canonical_csv), dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(frame["hour_ending"], utc=True, format="ISO8601")
    frame = frame.assign(hour_ending=stamps.astype("datetime64[us, UTC]"))
    frame = frame.sort_values(["node", "hour_ending"], kind="stable").reset_index(drop=True)
    n_hours = frame["hour_ending"].nunique()
    fields = [("hour_ending", pa.timestamp("us", tz="UTC")), ("node", pa.string()), ("price", pa.float64())]
    with_congestion = "congestion" in frame.columns
    schema = pa.schema(fields + ([("congestion", pa.float64())] if with_congestion else []))
    numbers = ["price"] + (["congestion"] if with_congestion else [])
    for name in numbers:
        frame[name] = pd.to_numeric(frame[name]).astype(np.float64) + 0.0
    out = io.BytesIO()
    per_group = max(1, GROUP_ROWS // n_hours) * n_hours
    with pq.ParquetWriter(out, schema, **WRITE_OPTIONS) as writer:
        for first in range(0, len(frame), per_group):
            part = frame.iloc[first : first + per_group][schema.names]
            writer.write_table(
                pa.Table.from_pandas(part, schema=schema, preserve_index=False), row_group_size=GROUP_ROWS
            )
    return out.getvalue()


def upgrade() -> None:
    with op.batch_alter_table("settlement_input_set") as batch:
        batch.add_column(sa.Column("file_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
    move_prices_to_files(op.get_bind(), _store_root())


def move_prices_to_files(bind: sa.Connection, root: Path) -> list[int]:
    """Each price set without a file -> one file under ``root``, recorded on the set; their ids."""
    ids = [
        r[0]
        for r in bind.execute(
            sa.select(input_set.c.id)
            .where(input_set.c.kind.in_(PRICE_KINDS), input_set.c.file_key.is_(None))
            .order_by(input_set.c.id)
        )
    ]
    for set_id in ids:
        stored = bind.execute(sa.select(input_set.c.content).where(input_set.c.id == set_id)).scalar_one()
        content = price_file(zlib.decompress(stored))
        key = hashlib.sha256(content).hexdigest()
        target = _path(root, key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        bind.execute(
            sa.update(input_set).where(input_set.c.id == set_id).values(file_key=key, file_sha256=key)
        )
    return ids


def downgrade() -> None:
    bind = op.get_bind()
    root = _store_root()
    only_files = bind.execute(
        sa.select(input_set.c.id, input_set.c.file_key).where(
            input_set.c.file_key.is_not(None), sa.func.length(input_set.c.content) == 0
        )
    ).all()
    for set_id, key in only_files:
        table = pq.read_table(_path(root, key))
        frame = table.to_pandas()
        frame["hour_ending"] = [t.isoformat() for t in frame["hour_ending"]]
        text = frame.to_csv(index=False, lineterminator="\n").encode()
        bind.execute(
            sa.update(input_set).where(input_set.c.id == set_id).values(content=zlib.compress(text, 6))
        )
    with op.batch_alter_table("settlement_input_set") as batch:
        batch.drop_column("file_sha256")
        batch.drop_column("file_key")
