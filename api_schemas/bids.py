"""Bids to buy and offers to sell FTRs on the wire (OA 7.3.5).

``price`` is $/MW for the whole period of the class: for a bid, the most the buyer pays (negative:
the least it must be paid, a counterflow bid); for an offer, the reservation price below which
the holder does not sell. Options (``hedge = option``) need a price >= 0.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api_schemas.auctions import PeriodClassIn
from api_schemas.common import DollarsPerMW, Megawatts, RequestModel
from market_terms import parse_hedge

PointId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$", examples=["101"])]


class SideName(StrEnum):
    BUY = "buy"
    SELL = "sell"


class HedgeName(StrEnum):
    OBLIGATION = "obligation"
    OPTION = "option"


def _hedge_alias(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, HedgeName):
        return HedgeName(parse_hedge(value).value)
    return value


HedgeIn = Annotated[
    HedgeName,
    BeforeValidator(_hedge_alias),
]
"""A hedge type as a user writes it (``OBL``, ``OPT``, ...); canonical in output."""


class BidStatusName(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class BidBase(BaseModel):
    side: SideName = Field(default=SideName.BUY, description="buy (a bid) or sell (an offer of a held FTR)")
    period_class: PeriodClassIn
    source: PointId = Field(description="receipt pricing point")
    sink: PointId = Field(description="delivery pricing point")
    hedge: HedgeIn = HedgeName.OBLIGATION
    mw: Megawatts = Field(examples=["25.0"])
    price: DollarsPerMW = Field(examples=["1200.00"])


class BidCreate(BidBase, RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "side": "buy",
                    "period_class": "on_peak",
                    "source": "101",
                    "sink": "205",
                    "hedge": "obligation",
                    "mw": "25.0",
                    "price": "1200.00",
                }
            ]
        },
    )

    @field_validator("sink")
    @classmethod
    def _sink_differs(cls, sink: str, info: ValidationInfo) -> str:
        if sink == info.data.get("source"):
            raise ValueError("source and sink must be different pricing points")
        return sink

    @field_validator("price")
    @classmethod
    def _option_price(cls, price: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("hedge") is HedgeName.OPTION and price < 0:
            raise ValueError("an option's price must be >= 0")
        return price


class BidUpdate(RequestModel):
    """Change the MW and/or the price of an active bid or offer while the window is open."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"mw": "20.0", "price": "1100.00"}]}
    )
    mw: Megawatts | None = None
    price: DollarsPerMW | None = None

    @model_validator(mode="after")
    def _something(self) -> BidUpdate:
        if self.mw is None and self.price is None:
            raise ValueError("give mw, price or both")
        return self


class FillPublic(BaseModel):
    """What cleared; ``amount`` = clearing price x cleared MW in $, (> 0: it pays)."""

    cleared_mw: Decimal
    clearing_price: Decimal = Field(description="$/MW for the period, of the path source -> sink")
    amount: Decimal


class BidPublic(BidBase):
    id: int
    auction_id: int
    participant_id: int
    status: BidStatusName
    credit_held: Decimal = Field(description="$ of credit this order holds while the auction is not cleared")
    created_at: datetime
    updated_at: datetime
    fill: FillPublic | None = Field(default=None, description="present once the auction is cleared")


class BulkBids(RequestModel):
    bids: list[BidCreate] = Field(min_length=1)


class BulkResult(BaseModel):
    """``created``: bids stored by this request (0 on an idempotent replay); ``bid_ids`` in row order."""

    created: int
    bid_ids: list[int]
