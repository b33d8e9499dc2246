"""Table ``ftr_holding``: an append-only ledger of FTRs held, one signed entry per change.

What a holder holds for (month, class, source, sink, hedge) is the sum of ``mw_tenths`` of its
entries. Origins: ``allocation`` (entered by the OI, OA 5.2.2), ``auction_purchase`` (+MW, an
award), ``auction_sale`` (-MW, an offer that cleared; the FTR reverts after the period, OA 7.3.2).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class FtrHolding(SQLModel, table=True):
    __tablename__ = "ftr_holding"
    __table_args__ = (
        sa.CheckConstraint("mw_tenths <> 0", name="mw_nonzero"),
        sa.Index("ix_ftr_holding_holder_period", "holder_id", "year", "month", "period_class"),
    )

    id: int | None = Field(default=None, primary_key=True)
    holder_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False))
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    period_class: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    sink: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    hedge: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    mw_tenths: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    price_cents: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    origin: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    auction_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("auction.id"), nullable=True, index=True)
    )
    bid_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("bid.id"), nullable=True)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
