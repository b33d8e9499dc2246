"""The ``forecast_job`` table: one revenue-adequacy forecast of a cleared auction, with its report.

``parameters`` is the request as JSON (scenarios, automatic-scenario settings, seed); ``report`` is
the finished forecast as JSON ($ and ratios as numbers, see :mod:`app.forecast.report`). The report
is written in the same transaction as the job's success: a job is ``succeeded`` with a report or
has none.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class ForecastJob(SQLModel, table=True):
    __tablename__ = "forecast_job"

    id: int | None = Field(default=None, primary_key=True)
    auction_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("auction.id"), nullable=False, index=True)
    )
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    progress: float = Field(default=0.0, sa_column=sa.Column(sa.Float, nullable=False))
    log: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    parameters: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    report: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    requested_by_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
