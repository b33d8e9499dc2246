"""Table ``bid``: bids to buy (``side='buy'``) and offers to sell (``side='sell'``), OA 7.3.5.

MW in integer tenths (> 0), prices in integer cents per MW for the whole period of the class
(a buy bid's price may be negative: a counterflow bid asks to be paid). ``credit_cents`` is the
credit the order holds under :mod:`app.bids.credit`. ``request_hash`` fingerprints the body sent
with ``idempotency_key``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class Bid(SQLModel, table=True):
    __tablename__ = "bid"
    __table_args__ = (
        sa.UniqueConstraint("participant_id", "idempotency_key"),
        sa.CheckConstraint("mw_tenths > 0", name="mw_positive"),
        sa.CheckConstraint("source <> sink", name="source_not_sink"),
        sa.Index("ix_bid_participant_status", "participant_id", "status"),
        sa.Index("ix_bid_class_auction_status", "class_auction_id", "status"),
        sa.Index("ix_bid_auction_participant", "auction_id", "participant_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False)
    )
    auction_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("auction.id"), nullable=False, index=True)
    )
    class_auction_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("class_auction.id"), nullable=False)
    )
    period_class: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    side: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    sink: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    hedge: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    mw_tenths: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    price_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    credit_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    idempotency_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    request_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class CreditPosition(SQLModel, table=True):
    """The credit a participant's open orders and unsettled awards hold, kept as running totals (cents).

    ``in_use_cents`` (open orders) changes in the transaction that changes the book: + a new order's
    credit, +/- a modified order's difference, - a withdrawn order's, - every open order of an
    auction when its results are posted. It equals the sum of ``bid.credit_cents`` over the
    participant's active bids in auctions not yet posted.

    ``awards_cents`` (awards) changes at posting (+ the credit of each award,
    ``bid_fill.award_credit_cents``, unless the month is already settled) and at the month's first
    settlement run (- the same amounts, :mod:`app.bids.award_credit`). It equals the sum of
    ``bid_fill.award_credit_cents`` over the participant's fills in posted auctions whose month has
    no settlement run.
    """

    __tablename__ = "credit_position"
    __table_args__ = (
        sa.CheckConstraint("in_use_cents >= 0", name="in_use_nonnegative"),
        sa.CheckConstraint("awards_cents >= 0", name="awards_nonnegative"),
    )

    participant_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    in_use_cents: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    awards_cents: int = Field(
        default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0")
    )
