"""FTR holdings on the wire: ledger entries, positions at an hour, histories, portfolios."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName, PointId
from api_schemas.common import Megawatts, RequestModel


class HoldingOrigin(StrEnum):
    """Why a holding changed (``auction.ledger.Origin``)."""

    AUCTION_AWARD = "auction_award"
    SALE = "sale"
    NSU_ALLOCATION = "nsu_allocation"
    PTP_ASSIGNMENT = "ptp_assignment"
    TRANSFER = "transfer"


class RecordedOrigin(StrEnum):
    NSU_ALLOCATION = "nsu_allocation"
    PTP_ASSIGNMENT = "ptp_assignment"


class HoldingBase(BaseModel):
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)
    period_class: PeriodClassName
    source: PointId
    sink: PointId
    hedge: HedgeName = HedgeName.OBLIGATION


class AllocationCreate(HoldingBase, RequestModel):
    """An FTR the OI records as held (allocated or assigned, OA 5.2.2) by a participant for a month."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "holder_id": 3,
                    "year": 2027,
                    "month": 1,
                    "period_class": "on_peak",
                    "source": "101",
                    "sink": "205",
                    "mw": "50.0",
                    "origin": "nsu_allocation",
                }
            ]
        },
    )
    holder_id: int = Field(ge=1, le=2**31 - 1)
    mw: Megawatts
    origin: RecordedOrigin = RecordedOrigin.NSU_ALLOCATION


class HoldingPublic(HoldingBase):
    """A ledger entry: from ``effective_from`` on, the holder's position changes by ``mw``."""

    id: int = Field(description="the entry's sequence number in the ledger")
    holder_id: int
    mw: Decimal = Field(description="signed MW of this ledger entry (negative: sold or transferred away)")
    price: Decimal | None = Field(description="clearing price paid or received, $/MW for the period")
    origin: HoldingOrigin
    effective_from: datetime = Field(description="hour-ending instant (UTC) from which the change counts")
    reference: str
    auction_id: int | None
    created_at: datetime


class PositionPublic(HoldingBase):
    holder_id: int
    mw: Decimal = Field(description="MW held in the hour")


class PositionsPublic(BaseModel):
    """Who held what in the hour ending ``at`` (all classes; credits count only the hour's class)."""

    at: datetime
    period_class_of_hour: PeriodClassName
    items: list[PositionPublic]


class HistoryStepPublic(BaseModel):
    seq: int
    effective_from: datetime
    change_mw: Decimal
    position_mw: Decimal = Field(description="MW held from effective_from on, after this change")
    origin: HoldingOrigin
    reference: str


class HistoryPublic(HoldingBase):
    holder_id: int
    steps: list[HistoryStepPublic]


class PortfolioLinePublic(HoldingBase):
    holder_id: int
    first_hour_mw: Decimal
    last_hour_mw: Decimal
    minimum_mw: Decimal = Field(description="least MW held in any hour of the month (what may be offered)")
    origins: list[HoldingOrigin]
    history: list[HistoryStepPublic]


class PortfolioPublic(BaseModel):
    year: int
    month: int
    items: list[PortfolioLinePublic]
