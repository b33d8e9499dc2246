"""credit_position: each participant's credit in use as a running total

Revision ID: 0500_credit_position
Revises: 0401_procrastinate
Create Date: 2026-12-03 13:30:00.000000

The total starts as the sum of ``bid.credit_cents`` over the participant's active bids in
auctions not yet posted (draft, open, closed, cleared).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0500_credit_position"
down_revision: str | None = "0401_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_position",
        sa.Column("participant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("in_use_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("in_use_cents >= 0", name=op.f("ck_credit_position_in_use_nonnegative")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_credit_position_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_credit_position")),
    )
    op.execute(
        """
        INSERT INTO credit_position (participant_id, in_use_cents)
        SELECT bid.participant_id, SUM(bid.credit_cents)
        FROM bid JOIN auction ON auction.id = bid.auction_id
        WHERE bid.status = 'active' AND auction.status IN ('draft', 'open', 'closed', 'cleared')
        GROUP BY bid.participant_id
        """
    )


def downgrade() -> None:
    op.drop_table("credit_position")
