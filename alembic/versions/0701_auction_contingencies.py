"""auction.contingency_set, auction.contingencies: the contingencies each auction's clearing checks

Revision ID: 0701_auction_contingencies
Revises: 0700_market_clock
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0701_auction_contingencies"
down_revision: str | None = "0700_market_clock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contingency_set", sa.String(length=16), server_default="network", nullable=False)
        )
        batch_op.add_column(sa.Column("contingencies", sa.Text(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.drop_column("contingencies")
        batch_op.drop_column("contingency_set")
