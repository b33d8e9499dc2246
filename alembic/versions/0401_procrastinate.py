"""procrastinate: the job queue's own tables and functions (PostgreSQL only; nothing on SQLite)

The schema is Procrastinate's (``procrastinate.schema.SchemaManager.get_schema()``) for the version
pinned in ``pyproject.toml``, created in the database's current schema. The queue is the transport
of jobs to ``ftr worker`` processes; the ``job`` table stays the record of each job.

Revision ID: 0401_procrastinate
Revises: 0400_job
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0401_procrastinate"
down_revision: str | None = "0400_job"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    # The driver's own execute: the schema is many statements, with % and : that are not parameters.
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]


def _names(sql: str) -> list[str]:
    return [str(r[0]) for r in op.get_bind().execute(sa.text(sql))]


def downgrade() -> None:
    if not _postgresql():
        return
    in_schema = "n.nspname = current_schema() AND {name} LIKE 'procrastinate%'"
    for table in _names(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind = 'r' AND {in_schema.format(name='c.relname')}"
    ):
        op.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    for function in _names(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        f"WHERE {in_schema.format(name='p.proname')}"
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    for type_ in _names(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        f"WHERE t.typtype IN ('e', 'c') AND {in_schema.format(name='t.typname')}"
    ):
        op.execute(f'DROP TYPE IF EXISTS "{type_}" CASCADE')
