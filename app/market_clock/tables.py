"""Table ``market_clock``: the single row (id 1) holding the market clock's offset from the system clock.

No row means offset 0 (the market clock reads the system clock). Only deployments with
``FTR_MARKET_CLOCK=movable`` (never production) read it; every move is an audit entry.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class MarketClock(SQLModel, table=True):
    __tablename__ = "market_clock"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    offset_us: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    moved_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
