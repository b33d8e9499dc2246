"""Tables of the monthly settlement: immutable input sets, jobs, versioned runs and their statements.

    settlement_input_set      one uploaded table of a month (or a year) of one kind, content-hashed,
                              never changed; a correction is a new version of the same kind
    settlement_job            a background job settling one month (and re-flowing later ones)
    settlement_run            one version of one month's settlement; ``is_current`` marks the version
                              in force; the year state before and after is stored with it
    settlement_hour           the OI's hourly totals of a run
    settlement_holder_month   per holder: TA, credit, forfeiture, OA 5.2.6(a),(b) distributions
    settlement_holder_hour    per holder and hour: TA and credit
    settlement_ftr_hour       no longer written: a run's per-FTR-hour detail is one Parquet file
                              (app.settlement.detail_file) named by ``settlement_run.detail_sha256``;
                              the table only holds rows of runs stored before the files existed,
                              and migration 0550 moves those into files
    settlement_change         per holder and amount: old, new, change against the version replaced
    settlement_year_end       an OA 5.2.6(c) distribution of a year's carried excess, versioned
    settlement_year_end_share one customer's share of it

Money is integer cents; payout ratios are exact decimals. Holders are participants.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime

RATIO = sa.Numeric(20, 12)


def _run_fk() -> sa.Column[int]:
    return sa.Column(sa.Integer, sa.ForeignKey("settlement_run.id", ondelete="CASCADE"), primary_key=True)


def _participant_fk(primary_key: bool = True) -> sa.Column[int]:
    return sa.Column(sa.Integer, sa.ForeignKey("participant.id"), primary_key=primary_key, nullable=False)


def _cents() -> sa.Column[int]:
    return sa.Column(sa.BigInteger, nullable=False)


class SettlementInputSet(SQLModel, table=True):
    """One uploaded input table; ``month`` 0 for a table of the whole year (year-end charges).

    ``content`` is the canonical CSV, zlib-compressed. Hourly prices (``da_prices``, ``rt_prices``)
    are one Parquet file in the settlement file store instead (``file_key``, checked against
    ``file_sha256``; :mod:`app.settlement.price_file`): ``content`` is empty for a set uploaded so,
    and keeps the canonical CSV (whose sha256 ``content_hash`` is) for a set stored before the files
    (migration 0760)."""

    __tablename__ = "settlement_input_set"
    __table_args__ = (
        sa.UniqueConstraint("year", "month", "kind", "version"),
        sa.CheckConstraint("month >= 0 AND month <= 12", name="month_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    content_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    row_count: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    columns: str = Field(sa_column=sa.Column(sa.String(400), nullable=False))
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    source_format: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    file_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    file_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    uploaded_by_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=True)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class SettlementRun(SQLModel, table=True):
    """One version of a month's settlement. ``trigger``: ``settle``, ``correction`` or ``reflow``."""

    __tablename__ = "settlement_run"
    __table_args__ = (sa.UniqueConstraint("year", "month", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    is_current: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    trigger: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    job_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("job.id"), nullable=False, index=True))
    replaces_run_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("settlement_run.id"), nullable=True)
    )
    input_set_ids: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    input_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    result_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    summary: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    state_before: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    state_after: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    detail_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    detail_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))


class SettlementHour(SQLModel, table=True):
    __tablename__ = "settlement_hour"

    run_id: int = Field(sa_column=_run_fk())
    hour_ending: datetime = Field(sa_column=sa.Column(UTCDateTime, primary_key=True))
    period_class: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    da_congestion_cents: int = Field(sa_column=_cents())
    rt_congestion_cents: int = Field(sa_column=_cents())
    loop_flow_cents: int = Field(sa_column=_cents())
    charges_cents: int = Field(sa_column=_cents())
    target_allocation_cents: int = Field(sa_column=_cents())
    credit_cents: int = Field(sa_column=_cents())
    excess_cents: int = Field(sa_column=_cents())
    payout_ratio: Decimal = Field(sa_column=sa.Column(RATIO, nullable=False))
    case: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))


class SettlementHolderMonth(SQLModel, table=True):
    __tablename__ = "settlement_holder_month"

    run_id: int = Field(sa_column=_run_fk())
    participant_id: int = Field(sa_column=_participant_fk())
    target_allocation_cents: int = Field(sa_column=_cents())
    credit_cents: int = Field(sa_column=_cents())
    forfeited_cents: int = Field(sa_column=_cents())
    monthly_distribution_cents: int = Field(sa_column=_cents())
    annual_distribution_cents: int = Field(sa_column=_cents())
    payout_ratio: Decimal | None = Field(default=None, sa_column=sa.Column(RATIO, nullable=True))


class SettlementHolderHour(SQLModel, table=True):
    __tablename__ = "settlement_holder_hour"

    run_id: int = Field(sa_column=_run_fk())
    participant_id: int = Field(sa_column=_participant_fk())
    hour_ending: datetime = Field(sa_column=sa.Column(UTCDateTime, primary_key=True))
    target_allocation_cents: int = Field(sa_column=_cents())
    credit_cents: int = Field(sa_column=_cents())
    payout_ratio: Decimal = Field(sa_column=sa.Column(RATIO, nullable=False))


class SettlementFtrHour(SQLModel, table=True):
    __tablename__ = "settlement_ftr_hour"

    run_id: int = Field(sa_column=_run_fk())
    participant_id: int = Field(sa_column=_participant_fk())
    ftr_id: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    hour_ending: datetime = Field(sa_column=sa.Column(UTCDateTime, primary_key=True))
    source: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    sink: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    mw_tenths: int = Field(sa_column=_cents())
    target_allocation_before_forfeiture_cents: int = Field(sa_column=_cents())
    forfeited_cents: int = Field(sa_column=_cents())
    target_allocation_cents: int = Field(sa_column=_cents())
    credit_cents: int = Field(sa_column=_cents())
    payout_ratio: Decimal = Field(sa_column=sa.Column(RATIO, nullable=False))


class SettlementChange(SQLModel, table=True):
    """``new - old`` of one amount of one holder between a run and the version it replaced."""

    __tablename__ = "settlement_change"

    run_id: int = Field(sa_column=_run_fk())
    participant_id: int = Field(sa_column=_participant_fk())
    amount: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    old_cents: int = Field(sa_column=_cents())
    new_cents: int = Field(sa_column=_cents())
    change_cents: int = Field(sa_column=_cents())


class SettlementYearEnd(SQLModel, table=True):
    __tablename__ = "settlement_year_end"
    __table_args__ = (sa.UniqueConstraint("year", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    december_run_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("settlement_run.id"), nullable=False)
    )
    input_set_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("settlement_input_set.id"), nullable=False)
    )
    carried_cents: int = Field(sa_column=_cents())
    distributed_cents: int = Field(sa_column=_cents())
    undistributed_cents: int = Field(sa_column=_cents())
    requested_by_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("participant.id"), nullable=False)
    )
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class SettlementYearEndShare(SQLModel, table=True):
    __tablename__ = "settlement_year_end_share"

    year_end_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("settlement_year_end.id", ondelete="CASCADE"), primary_key=True
        )
    )
    participant_id: int = Field(sa_column=_participant_fk())
    charges_cents: int = Field(sa_column=_cents())
    amount_cents: int = Field(sa_column=_cents())
