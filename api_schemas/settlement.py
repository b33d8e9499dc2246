"""Monthly congestion settlement on the wire (OA 5.2): input sets, jobs, runs, statements.

Money is $ as decimal strings to the cent; payout ratios are decimal strings (unrounded to 12
places); hours are UTC hour-ending instants. Holders are participants.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.auctions import PeriodClassName
from api_schemas.audit import AuditAnchorPublic
from api_schemas.clearing import JobStatusName


class RunTrigger(StrEnum):
    SETTLE = "settle"
    CORRECTION = "correction"
    REFLOW = "reflow"


class HourCaseName(StrEnum):
    COVERED = "covered"
    PRORATED = "prorated"
    UNFUNDED = "unfunded"
    OWED = "owed"


class InputSetPublic(BaseModel):
    """An immutable uploaded input table (``month`` 0: a table for the whole year)."""

    id: int
    year: int
    month: int
    kind: str
    version: int = Field(description="1 for the first upload of this kind; a correction is the next")
    content_hash: str = Field(
        description="SHA-256 of the canonical CSV form; for hourly prices uploaded as a file, of the file"
    )
    rows: int
    columns: list[str]
    source_format: str
    created_at: datetime
    file_sha256: str | None = Field(
        default=None,
        description="hourly prices (da_prices, rt_prices): SHA-256 of the stored Parquet file the runs read",
    )


class SettlementRunCreate(BaseModel):
    """Settle a month from its latest inputs (a settled month: a new version, later months re-flowed)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "corrected day-ahead congestion of 2027-01-14"}]},
    )
    reason: str = Field(default="", max_length=500)


class SettlementJobPublic(BaseModel):
    id: int
    year: int
    month: int = Field(description="the month asked for; later settled months are re-flowed by the same job")
    status: JobStatusName
    progress: float = Field(ge=0, le=1)
    elapsed_s: float | None
    reason: str
    log: list[str]
    error: str | None
    run_ids: list[int] = Field(description="the month versions this job stored (empty until it succeeds)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SettlementRunPublic(BaseModel):
    id: int
    year: int
    month: int
    version: int
    is_current: bool = Field(description="the version in force (later corrections replace it)")
    trigger: RunTrigger
    job_id: int
    replaces_run_id: int | None
    input_set_ids: dict[str, int] = Field(description="input kind -> input set id used")
    input_hash: str
    result_hash: str
    summary: dict[str, Any] = Field(
        description="month totals ($ strings): charges by component, TA, credits, excess, distributions, "
        "carried to year end, payout ratios, hours by OA 5.2.5 case"
    )
    created_at: datetime


class YearStatePublic(BaseModel):
    """The engine's year state (format ``ftr-settlement-year-state/1``, unrounded $) around a run."""

    before: dict[str, Any]
    after: dict[str, Any]


class HourTotalPublic(BaseModel):
    """The OI's view of one hour (OA 5.2.5): charges, TA, credits, excess, payout ratio and case."""

    hour_ending: datetime
    period_class: PeriodClassName
    da_congestion: Decimal
    rt_congestion: Decimal
    loop_flow_compensation: Decimal
    charges: Decimal
    target_allocation: Decimal
    credit: Decimal
    excess: Decimal
    payout_ratio: Decimal
    case: HourCaseName


class HolderMonthPublic(BaseModel):
    """A holder's month: ``payout_ratio`` = (credit + distributions) / TA, null when TA <= 0."""

    participant_id: int
    target_allocation: Decimal
    credit: Decimal
    forfeited: Decimal
    monthly_distribution: Decimal = Field(description="OA 5.2.6(a)")
    annual_distribution: Decimal = Field(description="OA 5.2.6(b), calendar year to date, paid this month")
    payout_ratio: Decimal | None


class HolderHourPublic(BaseModel):
    hour_ending: datetime
    target_allocation: Decimal
    credit: Decimal
    payout_ratio: Decimal


class FtrHourPublic(BaseModel):
    hour_ending: datetime
    ftr_id: str
    source: str
    sink: str
    mw: Decimal
    target_allocation_before_forfeiture: Decimal
    forfeited: Decimal
    target_allocation: Decimal
    credit: Decimal
    payout_ratio: Decimal


class StatementPublic(BaseModel):
    """A holder's statement for a month (one run version)."""

    year: int
    month: int
    run_id: int
    version: int
    is_current: bool
    month_totals: HolderMonthPublic
    hours: list[HolderHourPublic]
    audit: AuditAnchorPublic | None = Field(
        default=None,
        description="the run's settlement.run link, your sub-chain head sealed before it and the signed head",
    )


class ChangePublic(BaseModel):
    """One amount of one holder: the replaced version's, this version's, and the change."""

    participant_id: int
    amount: str
    old: Decimal
    new: Decimal
    change: Decimal


class YearEndSharePublic(BaseModel):
    participant_id: int
    charges: Decimal = Field(description="network demand + firm PTP reserved-capacity charges for the year")
    amount: Decimal


class YearEndPublic(BaseModel):
    """OA 5.2.6(c): the year's carried excess shared by the customers' charges."""

    id: int
    year: int
    version: int
    december_run_id: int
    input_set_id: int
    carried: Decimal
    distributed: Decimal
    undistributed: Decimal
    shares: list[YearEndSharePublic]
    created_at: datetime
