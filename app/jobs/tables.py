"""The ``job`` table: one row per background job of any kind (:class:`app.jobs.status.JobKind`).

What a job works on: the month (``year``, ``month``: the settled month, or the auction's), the
``auction_id`` (clearing, forecast), its ``parameters`` (JSON, forecast) and ``reason``
(settlement). While it runs it records its progress: ``progress`` (0..1), ``phase``, ``round`` (a
solver round), ``rows`` (rows processed) and ``elapsed_s``. When it succeeds ``result`` holds its
outcome as JSON (a clearing's per-class summary, a forecast's report), written in the same
transaction as the job's success and the results it stored: a job is ``succeeded`` with its
results, or nothing of them exists. ``cancel_requested_at`` is set when the OI cancels a running
job; the job stops at its next progress point.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (sa.Index("ix_job_kind_status", "kind", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    auction_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("auction.id"), nullable=True, index=True)
    )
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, index=True))
    month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    reason: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    parameters: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    progress: float = Field(default=0.0, sa_column=sa.Column(sa.Float, nullable=False))
    phase: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    round: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    rows: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    elapsed_s: float | None = Field(default=None, sa_column=sa.Column(sa.Float, nullable=True))
    log: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    input_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    result_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    result: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    requested_by_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    cancel_requested_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime, nullable=True)
    )
