"""auction.contab_name, contab_sha256, contab_generator_outages: the contab file of a contingency set

Revision ID: 0720_auction_contab
Revises: 0712_portal_indexes
Create Date: 2026-12-03 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0720_auction_contab"
down_revision: str | None = "0712_portal_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contab_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("contab_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("contab_generator_outages", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.drop_column("contab_generator_outages")
        batch_op.drop_column("contab_sha256")
        batch_op.drop_column("contab_name")
