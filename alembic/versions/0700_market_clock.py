"""market_clock: the stored offset of a non-production deployment's market clock

Revision ID: 0700_market_clock
Revises: 0550_settlement_detail_file
Create Date: 2026-12-03 13:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0700_market_clock"
down_revision: str | None = "0550_settlement_detail_file"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "market_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset_us", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_clock")),
    )


def downgrade() -> None:
    op.drop_table("market_clock")
