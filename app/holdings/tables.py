"""Table ``ftr_holding``: the holdings ledger, append-only, one row per :class:`auction.ledger.LedgerEntry`.

A row is a pure ledger entry (``seq`` = ``id``, ``holder`` = the participant id as text): from the
hour ending ``effective_from`` on, ``holder_id``'s position in the FTR (month, class, source,
sink, hedge) changes by ``mw_tenths`` (signed), because of ``origin`` (``auction_award``,
``sale``, ``nsu_allocation``, ``ptp_assignment``, ``transfer``), as recorded by ``reference``.
Who held what at hour h, a holding's history and the portfolio are queries
(:mod:`auction.ledger_queries`). Rows are never updated or deleted: the repository has no
method that would. ``price_cents`` is the clearing price of an auction entry ($/MW for the
period, in cents); ``auction_id``/``bid_id`` name the award or sale.
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
        sa.Index("ix_ftr_holding_period", "year", "month", "period_class"),
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
    effective_from: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    reference: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    auction_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("auction.id"), nullable=True, index=True)
    )
    bid_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("bid.id"), nullable=True)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
