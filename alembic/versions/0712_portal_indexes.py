"""bid (auction_id, participant_id, id): a participant's bids of an auction, paged in id order

The portal's "my bids" table reads one page of a participant's bids of one auction; without this
index both databases scan every bid of the auction (100,000 rows) to count and sort them.

Revision ID: 0712_portal_indexes
Revises: 0711_rate_limit_bucket
Create Date: 2026-12-03 17:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0712_portal_indexes"
down_revision: str | None = "0711_rate_limit_bucket"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bid_auction_participant", ["auction_id", "participant_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.drop_index("ix_bid_auction_participant")
