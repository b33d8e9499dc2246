"""Tables: ``auction`` (one per month) and its two ``class_auction``s (on-peak, off-peak; OA 7.3.4)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class Auction(SQLModel, table=True):
    """A monthly auction. ``status`` follows draft -> open -> closed -> cleared -> posted.

    ``opens_at``/``closes_at`` are the OA 7.1.2 window (UTC instants of 00:00 EPT). Period
    conditions (OA 7.3.6(a)): ``scheduled_outages`` is a JSON list of branch ids,
    ``loop_flow`` a JSON object constraint id -> MW.
    """

    __tablename__ = "auction"
    __table_args__ = (
        sa.UniqueConstraint("year", "month"),
        sa.CheckConstraint("month >= 1 AND month <= 12", name="month_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    network_version_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("network_version.id"), nullable=False, index=True)
    )
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    opens_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    closes_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    scheduled_outages: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))
    loop_flow: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    contingency_set: str = Field(
        default="network", sa_column=sa.Column(sa.String(16), nullable=False, server_default="network")
    )
    """Which contingencies the clearing checks: ``network`` (the version's own), ``none``, ``all_n_1``,
    ``list`` (the JSON list ``contingencies`` of ``[id, [branch ids]]``)."""
    contingencies: str = Field(
        default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]")
    )
    contab_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    """The file name of the MATPOWER change table the ``list`` was read from (``None``: not a file)."""
    contab_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    """SHA-256 (hex) of that file's bytes as uploaded."""
    contab_generator_outages: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    """Generator-outage rows of that file: read and not secured (docs/rules.md)."""
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    opened_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    cleared_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    posted_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    bid_book_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    """The bid book seal at window close (:mod:`app.auctions.bid_book`), checked before clearing."""


class ClassAuction(SQLModel, table=True):
    """The on-peak or off-peak auction of a month; ``hours`` is the class's hour count (EPT)."""

    __tablename__ = "class_auction"
    __table_args__ = (sa.UniqueConstraint("auction_id", "period_class"),)

    id: int | None = Field(default=None, primary_key=True)
    auction_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("auction.id", ondelete="CASCADE"), nullable=False)
    )
    period_class: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    hours: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
