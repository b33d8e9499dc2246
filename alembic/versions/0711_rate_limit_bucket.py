"""rate_limit_bucket: rate-limit token buckets shared by every process (UNLOGGED on PostgreSQL)

Revision ID: 0711_rate_limit_bucket
Revises: 0710_award_credit
Create Date: 2026-12-03 16:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0711_rate_limit_bucket"
down_revision: str | None = "0710_award_credit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # UNLOGGED: no write-ahead log for a counter that may be lost in a crash (clients get a full bucket).
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_limit_bucket",
        sa.Column("budget", sa.String(length=32), nullable=False),
        sa.Column("bucket_key", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at_s", sa.Float(), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("budget", "bucket_key", name=op.f("pk_rate_limit_bucket")),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("rate_limit_bucket")
