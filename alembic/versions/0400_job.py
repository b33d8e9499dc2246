"""job: one table for the clearing, settlement and forecast jobs

The settlement jobs stay where they are: ``settlement_job`` becomes ``job`` (same ids, so
``settlement_run.job_id`` and the audit entries still name them) and gains the columns of every
kind. The clearing and forecast jobs move in after them: a clearing job's new id is its old id plus
the largest settlement job id, a forecast job's is its old id plus that and the largest clearing
job id. Their month is their auction's. ``clearing_job.summary`` and ``forecast_job.report`` become
``job.result``.

Revision ID: 0400_job
Revises: 0300_forecast
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0400_job"
down_revision: str | None = "0300_forecast"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMON = "status, progress, log, error, requested_by_id, created_at, started_at, finished_at"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _scalar(sql: str) -> int:
    return int(op.get_bind().execute(sa.text(sql)).scalar() or 0)


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """SQLite re-creates a table to alter it; with foreign keys on, dropping the old ``job`` would
    count every settlement run as a violation. The pragma only changes outside a transaction."""
    if not _sqlite():
        yield
        return
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys = OFF")
    op.execute("BEGIN IMMEDIATE")
    yield
    broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken}")
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys = ON")
    op.execute("BEGIN IMMEDIATE")


def _rename_constraint(table: str, old: str, new: str) -> None:
    if not _sqlite():
        op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{old}" TO "{new}"')


def _reset_sequence(table: str) -> None:
    if not _sqlite():
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
        )


def upgrade() -> None:
    with _sqlite_foreign_keys_off():
        _upgrade()


def downgrade() -> None:
    with _sqlite_foreign_keys_off():
        _downgrade()


def _upgrade() -> None:
    op.drop_index("ix_settlement_job_year", table_name="settlement_job")
    op.rename_table("settlement_job", "job")
    _rename_constraint("job", "pk_settlement_job", "pk_job")
    _rename_constraint(
        "settlement_run", "fk_settlement_run_job_id_settlement_job", "fk_settlement_run_job_id_job"
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="settlement")
        )
        batch_op.add_column(sa.Column("auction_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("parameters", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phase", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("round", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rows", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("elapsed_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("input_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("result_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("result", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("fk_settlement_job_requested_by_id_participant", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_job_requested_by_id_participant", "participant", ["requested_by_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_job_auction_id_auction", "auction", ["auction_id"], ["id"])
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.create_index("ix_job_auction_id", ["auction_id"], unique=False)
        batch_op.create_index("ix_job_year", ["year"], unique=False)
        batch_op.create_index("ix_job_kind_status", ["kind", "status"], unique=False)

    settlement_top = _scalar("SELECT MAX(id) FROM job")
    clearing_top = _scalar("SELECT MAX(id) FROM clearing_job")
    op.execute(
        f"INSERT INTO job (id, kind, auction_id, year, month, reason, input_hash, result_hash, result, {COMMON}) "
        f"SELECT c.id + {settlement_top}, 'clearing', c.auction_id, a.year, a.month, '', c.input_hash, "
        f"c.result_hash, c.summary, {', '.join('c.' + n.strip() for n in COMMON.split(','))} "
        "FROM clearing_job c JOIN auction a ON a.id = c.auction_id"
    )
    op.execute(
        f"INSERT INTO job (id, kind, auction_id, year, month, reason, parameters, result, {COMMON}) "
        f"SELECT f.id + {settlement_top + clearing_top}, 'forecast', f.auction_id, a.year, a.month, '', "
        f"f.parameters, f.report, {', '.join('f.' + n.strip() for n in COMMON.split(','))} "
        "FROM forecast_job f JOIN auction a ON a.id = f.auction_id"
    )
    _reset_sequence("job")
    op.drop_table("clearing_job")
    op.drop_table("forecast_job")


def _downgrade() -> None:
    op.create_table(
        "clearing_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("input_hash", sa.String(length=64), nullable=True),
        sa.Column("result_hash", sa.String(length=64), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name="fk_clearing_job_auction_id_auction"),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["participant.id"], name="fk_clearing_job_requested_by_id_participant"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_clearing_job"),
    )
    op.create_index("ix_clearing_job_auction_id", "clearing_job", ["auction_id"], unique=False)
    op.create_table(
        "forecast_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name="fk_forecast_job_auction_id_auction"),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["participant.id"], name="fk_forecast_job_requested_by_id_participant"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_job"),
    )
    op.create_index("ix_forecast_job_auction_id", "forecast_job", ["auction_id"], unique=False)
    # A cancelled job was not a state of the old tables: it becomes failed.
    status = "CASE WHEN status = 'cancelled' THEN 'failed' ELSE status END"
    common = COMMON.replace("status,", f"{status},", 1)
    op.execute(
        f"INSERT INTO clearing_job (id, auction_id, input_hash, result_hash, summary, {COMMON}) "
        f"SELECT id, auction_id, input_hash, result_hash, result, {common} FROM job WHERE kind = 'clearing'"
    )
    op.execute(
        f"INSERT INTO forecast_job (id, auction_id, parameters, report, {COMMON}) "
        f"SELECT id, auction_id, parameters, result, {common} FROM job WHERE kind = 'forecast'"
    )
    op.execute(f"UPDATE job SET status = {status}")
    op.execute("DELETE FROM job WHERE kind <> 'settlement'")
    _reset_sequence("clearing_job")
    _reset_sequence("forecast_job")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_kind_status")
        batch_op.drop_index("ix_job_year")
        batch_op.drop_index("ix_job_auction_id")
        batch_op.drop_constraint("fk_job_auction_id_auction", type_="foreignkey")
        batch_op.drop_constraint("fk_job_requested_by_id_participant", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_settlement_job_requested_by_id_participant", "participant", ["requested_by_id"], ["id"]
        )
        for column in (
            "cancel_requested_at", "result", "result_hash", "input_hash", "elapsed_s", "rows", "round",
            "phase", "parameters", "auction_id", "kind",
        ):  # fmt: skip
            batch_op.drop_column(column)
    _rename_constraint(
        "settlement_run", "fk_settlement_run_job_id_job", "fk_settlement_run_job_id_settlement_job"
    )
    _rename_constraint("job", "pk_job", "pk_settlement_job")
    op.rename_table("job", "settlement_job")
    op.create_index("ix_settlement_job_year", "settlement_job", ["year"], unique=False)
