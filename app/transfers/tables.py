"""Table ``ftr_transfer``: bilateral transfers (OA 5.2.2(d)) and the steps of their state machine.

The machine itself is :mod:`auction.transfers`; a row stores a :class:`auction.transfers.Transfer`:
the right (one month and class per key, as JSON records ``[month, class, source, sink, hedge]``),
MW in tenths, the hour-ending instant the right moves from, the state and the events (JSON list
of ``{state, at, by, note}``). A verified transfer's ledger entries carry the reference
``transfer:<id>``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class FtrTransfer(SQLModel, table=True):
    __tablename__ = "ftr_transfer"
    __table_args__ = (sa.CheckConstraint("mw_tenths > 0", name="mw_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False, index=True)
    )
    buyer_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False, index=True)
    )
    keys: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    mw_tenths: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    effective_from: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    events: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
