"""Bilateral FTR transfers (OA 5.2.2(d)) on the wire."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.auctions import PeriodClassIn
from api_schemas.bids import HedgeIn, HedgeName, PointId
from api_schemas.common import IsoDateTime, Megawatts, RequestModel


class TransferRight(BaseModel):
    """One month and class of the right being transferred."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)
    period_class: PeriodClassIn
    source: PointId
    sink: PointId
    hedge: HedgeIn = HedgeName.OBLIGATION


class TransferCreate(RequestModel):
    """The holder (seller) asks to transfer ``mw`` of a right to ``buyer_id`` from ``effective_from`` on."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "buyer_id": 4,
                    "rights": [
                        {"year": 2027, "month": 1, "period_class": "on_peak", "source": "1", "sink": "3"}
                    ],
                    "mw": "10.0",
                    "effective_from": "2027-01-16T06:00:00Z",
                }
            ]
        },
    )
    buyer_id: int = Field(ge=1, le=2**31 - 1)
    rights: list[TransferRight] = Field(min_length=1, max_length=240)
    mw: Megawatts
    effective_from: IsoDateTime = Field(description="hour-ending instant (aware) from which the right moves")


class TransferNote(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "terms changed"}]})
    note: str = Field(default="", max_length=1000)


class TransferEventPublic(BaseModel):
    state: str
    at: datetime
    by: str
    note: str


class TransferPublic(BaseModel):
    id: int
    seller_id: int
    buyer_id: int
    rights: list[TransferRight]
    mw: Decimal
    effective_from: datetime
    state: str
    events: list[TransferEventPublic]
