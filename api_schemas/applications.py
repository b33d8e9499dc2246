"""Applications for allocated (OA 5.2.2(b)) and assigned (OA 5.2.2(c)) FTRs, on the wire."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.bids import PointId
from api_schemas.common import Megawatts, RequestModel


class ApplicationKindName(StrEnum):
    NSU_ALLOCATION = "nsu_allocation"
    PTP_ASSIGNMENT = "ptp_assignment"


class ElectionName(StrEnum):
    ACCEPT_ALL = "accept_all"
    DECLINE_ALL = "decline_all"
    ONLY = "only"


class Designation(BaseModel):
    """A designated network resource and the user's aggregate load point in a zone (OA 5.2.2(b))."""

    model_config = ConfigDict(extra="forbid")
    resource_id: str = Field(min_length=1, max_length=100)
    resource_point: PointId
    installed_capacity: Megawatts
    zone: str = Field(min_length=1, max_length=100)
    load_point: PointId
    peak_load: Megawatts = Field(
        description="the user's peak load in the zone (or transmission responsibility)"
    )
    mw: Megawatts


class Reservation(BaseModel):
    """Firm point-to-point service between a receipt and a delivery point (OA 5.2.2(c))."""

    model_config = ConfigDict(extra="forbid")
    reservation_id: str = Field(min_length=1, max_length=100)
    receipt: PointId
    delivery: PointId
    firm_mw: Megawatts


class Election(RequestModel):
    """The customer's notice: all FTRs (default), none, or only some receipt/delivery pairs."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"election": "only", "pairs": [["1", "3"]]}]}
    )
    election: ElectionName = ElectionName.ACCEPT_ALL
    pairs: list[tuple[PointId, PointId]] = Field(default_factory=list, max_length=1000)


class ApplicationCreate(RequestModel):
    """An application the OI records for an applicant, from ``year``/``month`` to the term's end."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "applicant_id": 3,
                    "kind": "ptp_assignment",
                    "year": 2027,
                    "month": 1,
                    "last_year": 2027,
                    "last_month": 3,
                    "reservations": [
                        {"reservation_id": "R1", "receipt": "1", "delivery": "3", "firm_mw": "20.0"}
                    ],
                }
            ]
        },
    )
    applicant_id: int = Field(ge=1, le=2**31 - 1)
    kind: ApplicationKindName
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)
    last_year: int = Field(ge=2000, le=2200)
    last_month: int = Field(ge=1, le=12)
    designations: list[Designation] = Field(default_factory=list, max_length=1000)
    reservations: list[Reservation] = Field(default_factory=list, max_length=1000)
    election: Election = Field(default_factory=Election)


class ReviewRequest(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"year": 2027, "month": 1}]})
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)


class ApplicationFtr(BaseModel):
    source: str
    sink: str
    mw: Decimal


class ApplicationEventPublic(BaseModel):
    state: str
    at: datetime
    period: str
    note: str


class ApplicationPublic(BaseModel):
    id: int
    applicant_id: int
    kind: ApplicationKindName
    period: str = Field(description="the month it is pending for (YYYY-MM)")
    last_month: str
    ftrs: list[ApplicationFtr]
    state: str
    reason: str
    events: list[ApplicationEventPublic]
