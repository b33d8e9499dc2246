"""Monthly auctions and their class auctions on the wire."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from api_schemas.common import PlainDecimal, RequestModel, decimal_json_schema
from market_terms import parse_period_class


class PeriodClassName(StrEnum):
    ON_PEAK = "on_peak"
    OFF_PEAK = "off_peak"


def _period_class_alias(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, PeriodClassName):
        return PeriodClassName(parse_period_class(value).value)
    return value


PeriodClassIn = Annotated[
    PeriodClassName,
    BeforeValidator(_period_class_alias),
]
"""A period class as a user writes it (``ONPEAK``, ``on-peak``, ``peak``, ...); canonical in output."""


class AuctionStatusName(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CLEARED = "cleared"
    POSTED = "posted"


class PostingStateName(StrEnum):
    PENDING = "pending"
    DUE = "due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    POSTED_ON_TIME = "posted_on_time"
    POSTED_LATE = "posted_late"


class AuctionActionName(StrEnum):
    OPEN = "open"
    BID = "bid"
    CLOSE = "close"
    CLEAR = "clear"
    POST = "post"


class ContingencySetName(StrEnum):
    NETWORK = "network"
    NONE = "none"
    ALL_N_1 = "all_n_1"
    LIST = "list"


BranchId = Annotated[str, Field(min_length=1, max_length=200)]


class ContingencyIn(BaseModel):
    """One contingency: the branches out together (one branch: an N-1 case; several: a contab entry)."""

    model_config = ConfigDict(extra="forbid")
    id: BranchId
    branches: list[BranchId] = Field(min_length=1, max_length=100)


LoopFlowMW = Annotated[
    PlainDecimal,
    Field(ge=Decimal(-1_000_000), le=Decimal(1_000_000), decimal_places=3),
    decimal_json_schema(minimum=-1_000_000, maximum=1_000_000, multiple_of=0.001),
]


class AuctionBase(BaseModel):
    year: int = Field(ge=2000, le=2200, examples=[2027])
    month: int = Field(ge=1, le=12, examples=[1])
    network_version_id: int = Field(ge=1, le=2**31 - 1, examples=[1])
    scheduled_outages: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=10_000,
        description="branch ids out of service for the whole month (OA 7.3.6(a))",
        examples=[["12"]],
    )
    loop_flow_mw: dict[Annotated[str, Field(min_length=1, max_length=200)], LoopFlowMW] = Field(
        default_factory=dict,
        description="constraint id -> MW of uncompensated parallel flow before any FTR (OA 7.3.6(a))",
        examples=[{"7": "25.0"}],
    )
    contingency_set: ContingencySetName = Field(
        default=ContingencySetName.NETWORK,
        description="contingencies the clearing checks: network (the version's own list), none (base case "
        "only), all_n_1 (every energised non-radial branch out alone), list (`contingencies`, e.g. a "
        "monitored N-1 list or a contab file's entries)",
    )
    contingencies: list[ContingencyIn] = Field(
        default_factory=list, max_length=100_000, description="the contingencies of contingency_set=list"
    )


class AuctionCreate(AuctionBase, RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2027,
                    "month": 1,
                    "network_version_id": 1,
                    "scheduled_outages": [],
                    "loop_flow_mw": {},
                    "contingency_set": "all_n_1",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _contingencies_only_for_a_list(self) -> AuctionCreate:
        if self.contingency_set is ContingencySetName.LIST and not self.contingencies:
            raise ValueError("contingency_set 'list' needs at least one entry in 'contingencies'")
        if self.contingency_set is not ContingencySetName.LIST and self.contingencies:
            raise ValueError("'contingencies' are given only with contingency_set 'list'")
        return self


class ContingencySetUpdate(RequestModel):
    """A new contingency set for a draft auction (JSON form; a contab file is sent as the body instead)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"contingency_set": "list", "contingencies": [{"id": "c1", "branches": ["1"]}]}]
        },
    )
    contingency_set: ContingencySetName
    contingencies: list[ContingencyIn] = Field(
        default_factory=list, max_length=100_000, description="the contingencies of contingency_set=list"
    )

    @model_validator(mode="after")
    def _contingencies_only_for_a_list(self) -> ContingencySetUpdate:
        if self.contingency_set is ContingencySetName.LIST and not self.contingencies:
            raise ValueError("contingency_set 'list' needs at least one entry in 'contingencies'")
        if self.contingency_set is not ContingencySetName.LIST and self.contingencies:
            raise ValueError("'contingencies' are given only with contingency_set 'list'")
        return self


class ContabFilePublic(BaseModel):
    """The MATPOWER change table an auction's ``list`` was read from."""

    name: str = Field(description="the file's name as uploaded")
    sha256: str = Field(description="SHA-256 (hex) of the file's bytes")
    generator_outages: int = Field(
        description="generator-outage rows read and not secured: they do not change an FTR's flows "
        "(docs/rules.md)"
    )


class ClassAuctionPublic(BaseModel):
    id: int
    period_class: PeriodClassName
    hours: int = Field(description="hours of the class in the month, Eastern Prevailing Time (OA 7.3.4)")


class AuctionPublic(AuctionBase):
    id: int
    contab_file: ContabFilePublic | None = Field(
        default=None, description="the change table file the contingency list was read from, if any"
    )
    status: AuctionStatusName = Field(description="effective status at the server clock")
    opens_at: datetime = Field(description="00:00 EPT, 15th business day before the month (OA 7.1.2)")
    closes_at: datetime = Field(description="00:00 EPT, 10th business day before the month (OA 7.1.2)")
    classes: list[ClassAuctionPublic]
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    cleared_at: datetime | None
    posted_at: datetime | None
    market_time: datetime | None = Field(default=None, description="the market clock this view was read at")
    allowed_now: list[AuctionActionName] = Field(
        default_factory=list,
        description="what the market clock allows now: open (OI), bid (participants, from opens_at to "
        "closes_at), close (OI, from closes_at on), clear (OI), post (OI)",
    )
    posting_deadline: datetime | None = Field(
        default=None,
        description="results are due by this instant: the end (24:00 EPT) of the second business day from "
        "the window close (OA 7.3.7)",
    )
    posting_state: PostingStateName | None = Field(
        default=None,
        description="pending (window not closed), due, due_soon (< 24 h left), overdue, posted_on_time, "
        "posted_late",
    )
    next_change_at: datetime | None = Field(
        default=None,
        description="when the clock alone next changes what is allowed (bids open, window closes)",
    )


class PostRequest(RequestModel):
    """Posting the results; after the OA 7.3.7 deadline the OI must say why (kept in the audit log)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"late_reason": "solver outage"}]}
    )
    late_reason: str | None = Field(
        default=None, min_length=3, max_length=1000, description="required when posting after the deadline"
    )
