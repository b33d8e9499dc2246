"""The ``bid_fill`` table: what the clearing filled of each bid and offer, and at what price.

Written by the clearing (:mod:`app.clearing.flows`, with the auction's move to ``cleared``); read by the
bids (a bid's filled MW, the credit it no longer holds) and the clearing's results. It sits beside the
domain folders so that neither ``app/bids`` nor ``app/clearing`` has to import the other for it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)


class BidFill(SQLModel, table=True):
    """How much of a bid or offer cleared, at the path's clearing price (OA 7.3.6(c), 7.3.8)."""

    __tablename__ = "bid_fill"

    bid_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("bid.id", ondelete="CASCADE"), primary_key=True)
    )
    class_auction_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("class_auction.id"), nullable=False, index=True)
    )
    cleared_mw_tenths: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    clearing_price_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    award_credit_cents: int = Field(
        default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0")
    )
    """Credit the award holds from posting until its month is settled (:mod:`app.bids.credit`); set at
    posting, with the credit floor then in force, and released by the same amount."""
