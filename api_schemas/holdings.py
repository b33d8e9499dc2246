"""FTR holdings (ledger entries) on the wire."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName, PointId
from api_schemas.common import Megawatts, RequestModel


class HoldingOrigin(StrEnum):
    ALLOCATION = "allocation"
    AUCTION_PURCHASE = "auction_purchase"
    AUCTION_SALE = "auction_sale"


class HoldingBase(BaseModel):
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)
    period_class: PeriodClassName
    source: PointId
    sink: PointId
    hedge: HedgeName = HedgeName.OBLIGATION


class AllocationCreate(HoldingBase, RequestModel):
    """An FTR the OI records as held (allocated or assigned, OA 5.2.2) by a participant."""

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
                }
            ]
        },
    )
    holder_id: int = Field(ge=1, le=2**31 - 1)
    mw: Megawatts


class HoldingPublic(HoldingBase):
    id: int
    holder_id: int
    mw: Decimal = Field(description="signed MW of this ledger entry (negative: sold at auction)")
    price: Decimal | None = Field(description="clearing price paid or received, $/MW for the period")
    origin: HoldingOrigin
    auction_id: int | None
    created_at: datetime
