"""settlement_run.detail_key, detail_sha256: a run's per-FTR-hour detail moves to a Parquet file

Revision ID: 0550_settlement_detail_file
Revises: 0520_audit_sub_chains
Create Date: 2026-12-03 14:30:00.000000

Each run's ``settlement_ftr_hour`` rows are written to one Parquet file in the settlement file store
(``<store>/<sha256[:2]>/<sha256>.parquet``; the store is the ``settlement_store`` attribute of the
Alembic config, else ``FTR_SETTLEMENT_STORE``, else ``data/settlement-detail``), one holder's rows at
a time as the service writes them; the file's sha256 is recorded on the run and the rows are
deleted. The table stays (empty). The file layout and columns are those of
``app.settlement.detail_file`` at this revision, written out here so that the migration does not
change when the application does (the encoding options are the service's since revision 0760, so a
run's file is the same bytes whether the service or this migration wrote it). Downgrade reads the
files back into rows.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from alembic import context, op

revision: str = "0550_settlement_detail_file"
down_revision: str | None = "0520_audit_sub_chains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = ("target_allocation_before_forfeiture", "forfeited", "target_allocation", "credit")
SCHEMA = pa.schema(
    [
        ("participant_id", pa.int64()),
        ("hour_ending", pa.timestamp("us", tz="UTC")),
        ("ftr_id", pa.string()),
        ("source", pa.string()),
        ("sink", pa.string()),
        ("mw_tenths", pa.int64()),
        *[(f"{m}_cents", pa.int64()) for m in MONEY],
        ("payout_ratio", pa.decimal128(20, 12)),
    ]
)
SORT = [("participant_id", "ascending"), ("hour_ending", "ascending"), ("ftr_id", "ascending")]

ftr_hour = sa.table(
    "settlement_ftr_hour",
    sa.column("run_id", sa.Integer),
    *[
        sa.column(name, sa.String if name in ("ftr_id", "source", "sink") else sa.BigInteger)
        for name in SCHEMA.names
        if name not in ("hour_ending", "payout_ratio")
    ],
    sa.column("hour_ending", sa.DateTime(timezone=True)),
    sa.column("payout_ratio", sa.Numeric(20, 12)),
)
run = sa.table(
    "settlement_run",
    sa.column("id", sa.Integer),
    sa.column("detail_key", sa.String),
    sa.column("detail_sha256", sa.String),
)


def _store_root() -> Path:
    configured = context.config.attributes.get("settlement_store") if context.config is not None else None
    location = configured or os.environ.get("FTR_SETTLEMENT_STORE") or "data/settlement-detail"
    return Path(str(location).removeprefix("file://"))


def _path(root: Path, key: str) -> Path:
    return root / key[:2] / f"{key}.parquet"


def _utc(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade() -> None:
    with op.batch_alter_table("settlement_run") as batch:
        batch.add_column(sa.Column("detail_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("detail_sha256", sa.String(length=64), nullable=True))
    move_rows_to_files(op.get_bind(), _store_root())


def move_rows_to_files(bind: sa.Connection, root: Path) -> list[int]:
    """Each run's ``settlement_ftr_hour`` rows -> one file under ``root``, recorded on the run; the ids."""
    run_ids = [
        r[0] for r in bind.execute(sa.select(ftr_hour.c.run_id).distinct().order_by(ftr_hour.c.run_id))
    ]
    for run_id in run_ids:
        rows = bind.execute(sa.select(ftr_hour).where(ftr_hour.c.run_id == run_id)).mappings().all()
        records = [
            {name: r[name] for name in SCHEMA.names} | {"hour_ending": _utc(r["hour_ending"])} for r in rows
        ]
        table = pa.Table.from_pylist(records, schema=SCHEMA).sort_by(SORT)
        out = io.BytesIO()
        with pq.ParquetWriter(
            out,
            SCHEMA,
            compression="zstd",
            compression_level=1,
            use_dictionary=["participant_id", "hour_ending", "ftr_id", "source", "sink", "payout_ratio"],
            write_statistics=["participant_id"],
            column_encoding={
                name: "DELTA_BINARY_PACKED" for name in ("mw_tenths", *[f"{m}_cents" for m in MONEY])
            },
        ) as writer:
            for holder in sorted(set(table.column("participant_id").to_pylist())):
                part = table.filter(pc.equal(table.column("participant_id"), holder))
                writer.write_table(part, row_group_size=256 * 1024)
        content = out.getvalue()
        key = hashlib.sha256(content).hexdigest()
        target = _path(root, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        bind.execute(sa.update(run).where(run.c.id == run_id).values(detail_key=key, detail_sha256=key))
        bind.execute(sa.delete(ftr_hour).where(ftr_hour.c.run_id == run_id))
    return run_ids


def downgrade() -> None:
    bind = op.get_bind()
    root = _store_root()
    stored = bind.execute(sa.select(run.c.id, run.c.detail_key).where(run.c.detail_key.is_not(None))).all()
    for run_id, key in stored:
        path = _path(root, key)
        if not path.exists():
            continue
        for record in pq.read_table(path, schema=SCHEMA).to_pylist():
            bind.execute(sa.insert(ftr_hour).values(run_id=run_id, **record))
    with op.batch_alter_table("settlement_run") as batch:
        batch.drop_column("detail_sha256")
        batch.drop_column("detail_key")
