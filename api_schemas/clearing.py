"""Clearing jobs and posted results on the wire.

Posted results never carry a bid price or a reservation price (OA 7.3.7).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from api_schemas.auctions import PeriodClassName
from api_schemas.audit import AuditAnchorPublic
from api_schemas.bids import HedgeName, SideName


class JobStatusName(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ClearingJobPublic(BaseModel):
    id: int
    auction_id: int
    status: JobStatusName
    progress: float = Field(ge=0, le=1)
    elapsed_s: float | None = Field(description="seconds from start to finish (or to now while running)")
    log: list[str]
    error: str | None
    input_hash: str | None = Field(
        description="fingerprint of the bids, offers, holdings and network cleared"
    )
    result_hash: str | None = Field(description="fingerprint of the stored results: a re-run gives the same")
    summary: dict[str, Any] | None = Field(description="per class: surplus, revenue, counts, checks, timings")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AwardPublic(BaseModel):
    """One award as posted (OA 7.3.7): who, what path, how many MW, at what clearing price."""

    participant: str
    side: SideName = Field(description="buy: an FTR bought; sell: an FTR sold by its holder")
    source: str
    sink: str
    hedge: HedgeName
    mw: Decimal
    clearing_price: Decimal = Field(description="$/MW for the period, path source -> sink")


class NodalPricePublic(BaseModel):
    point_id: str
    price: Decimal = Field(description="$/MW for the period; a path's price is price(sink) - price(source)")


class BindingConstraintPublic(BaseModel):
    """A binding constraint with the names users know it by (from the auction's network version)."""

    constraint_id: str = Field(description="a branch id or an interface id")
    contingency_id: str | None = Field(description="the contingency's name; null in the base case")
    shadow_price: Decimal = Field(description="$/MW for the period per MW of flow")
    flow_mw: Decimal | None
    limit_mw: Decimal | None
    from_bus: str | None = Field(default=None, description="the branch's from bus (null for an interface)")
    to_bus: str | None = Field(default=None, description="the branch's to bus (null for an interface)")
    from_bus_name: str | None = Field(default=None, description="the from bus's name where the model has one")
    to_bus_name: str | None = Field(default=None, description="the to bus's name where the model has one")
    branch_name: str | None = Field(default=None, description="the branch's name where the model has one")
    contingency_branches: list[str] = Field(
        default_factory=list, description="the branches the contingency takes out (empty in the base case)"
    )


class ClassResultsPublic(BaseModel):
    auction_id: int
    period_class: PeriodClassName
    hours: int
    awards: list[AwardPublic]
    nodal_prices: list[NodalPricePublic]
    binding_constraints: list[BindingConstraintPublic]
    audit: AuditAnchorPublic | None = Field(
        default=None,
        description="the auction.posted link, the sub-chain heads sealed before it, the signed head",
    )
