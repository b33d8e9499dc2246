"""award credit as a running total: bid_fill.award_credit_cents, credit_position.awards_cents

Revision ID: 0710_award_credit
Revises: 0702_pricing_point_sort_key
Create Date: 2026-12-03 16:30:00.000000

An award holds credit from its auction's posting until its month's first settlement run
(docs/service.md, "The credit rule"). The credit of each award is now fixed on its fill at posting
(``bid_fill.award_credit_cents``) and each participant's unsettled awards are a running total
(``credit_position.awards_cents``), so a bid no longer sums the participant's awards.

Existing posted fills get the credit the rule gives them with the floor of this deployment
(``FTR_CREDIT_FLOOR_CENTS_PER_MWH``, default 10); the totals start as the sum over the fills of
posted auctions whose month has no settlement run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0710_award_credit"
down_revision: str | None = "0702_pricing_point_sort_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bid_fill", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("award_credit_cents", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("credit_position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awards_cents", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_check_constraint(op.f("ck_credit_position_awards_nonnegative"), "awards_cents >= 0")
    floor = int(os.environ.get("FTR_CREDIT_FLOOR_CENTS_PER_MWH", "10"))
    # The rule of app.bids.credit.award_credit_cents in SQL (every term >= 0, so (x + 9) / 10 rounds up).
    op.execute(
        sa.text(
            """
            UPDATE bid_fill SET award_credit_cents = (
                SELECT (CASE WHEN bid.side = 'buy'
                             THEN (CASE WHEN bid_fill.clearing_price_cents > 0
                                        THEN bid_fill.clearing_price_cents ELSE 0 END)
                                  + :floor * class_auction.hours
                             ELSE (CASE WHEN bid_fill.clearing_price_cents < 0
                                        THEN -bid_fill.clearing_price_cents ELSE 0 END)
                        END * bid_fill.cleared_mw_tenths + 9) / 10
                FROM bid JOIN class_auction ON class_auction.id = bid.class_auction_id
                WHERE bid.id = bid_fill.bid_id
            )
            WHERE bid_fill.cleared_mw_tenths > 0
              AND bid_fill.bid_id IN (
                SELECT bid.id FROM bid JOIN auction ON auction.id = bid.auction_id
                WHERE auction.status = 'posted'
              )
            """
        ).bindparams(floor=floor)
    )
    held = """
        SELECT bid.participant_id AS participant_id, SUM(bid_fill.award_credit_cents) AS cents
        FROM bid_fill
        JOIN bid ON bid.id = bid_fill.bid_id
        JOIN auction ON auction.id = bid.auction_id
        WHERE auction.status = 'posted'
          AND NOT EXISTS (
            SELECT 1 FROM settlement_run
            WHERE settlement_run.year = auction.year AND settlement_run.month = auction.month
          )
        GROUP BY bid.participant_id
    """
    op.execute(
        f"""
        INSERT INTO credit_position (participant_id, in_use_cents, awards_cents)
        SELECT held.participant_id, 0, 0 FROM ({held}) held
        WHERE held.participant_id NOT IN (SELECT participant_id FROM credit_position)
        """
    )
    op.execute(
        f"""
        UPDATE credit_position SET awards_cents = COALESCE(
            (SELECT held.cents FROM ({held}) held WHERE held.participant_id = credit_position.participant_id),
            0
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("credit_position", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_credit_position_awards_nonnegative"), type_="check")
        batch_op.drop_column("awards_cents")
    with op.batch_alter_table("bid_fill", schema=None) as batch_op:
        batch_op.drop_column("award_credit_cents")
