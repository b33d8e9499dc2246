"""Auction settlement statements (OA 7.3.8) and revenue allocation (OA 7.3.9) on the wire."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName
from api_schemas.common import PlainDecimal, RequestModel, decimal_json_schema


class StatementLinePublic(BaseModel):
    bid_id: int
    side: str
    period_class: PeriodClassName
    source: str
    sink: str
    hedge: HedgeName
    mw: Decimal
    clearing_price: Decimal = Field(description="$/MW for the period")
    amount: Decimal = Field(description="price x MW, $ (rounded once to the cent)")
    charge: Decimal = Field(description="> 0 owed by the participant, < 0 paid to it")


class AuctionStatementPublic(BaseModel):
    auction_id: int
    participant_id: int
    lines: list[StatementLinePublic]
    purchases: Decimal
    sales: Decimal
    net_charge: Decimal = Field(description="purchases - sales: > 0 the participant pays")


class RevenueRequirementSet(RequestModel):
    """A transmission owner's revenue requirement (any consistent unit; only proportions count)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": "1250000.00"}]})
    amount: Annotated[PlainDecimal, decimal_json_schema(minimum=0, maximum=1e13, multiple_of=0.01)] = Field(
        ge=0, le=Decimal("1e13"), decimal_places=2, description="$ per year"
    )


class RevenueRequirementPublic(BaseModel):
    owner_id: int
    amount: Decimal


class RevenueSharePublic(BaseModel):
    owner_id: int
    requirement: Decimal
    amount: Decimal = Field(description="$ of net auction revenue allocated (OA 7.3.9)")


class RevenueAllocationPublic(BaseModel):
    auction_id: int
    net_revenue: Decimal = Field(description="buyers' payments net of payments to sellers, $")
    shares: list[RevenueSharePublic]
