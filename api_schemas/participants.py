"""Participants and API keys on the wire."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.common import RequestModel


class RoleName(StrEnum):
    OPERATOR = "operator"
    TRADER = "trader"
    LSE = "lse"
    TRANSMISSION_OWNER = "transmission_owner"
    AUDITOR = "auditor"


CreditLimit = Annotated[
    Decimal, Field(ge=0, le=Decimal("1000000000000"), decimal_places=2, description="credit limit in $")
]


class ParticipantBase(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$", examples=["Acme Trading"])
    role: RoleName = Field(examples=["trader"])


class ParticipantCreate(ParticipantBase, RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Acme Trading", "role": "trader", "credit_limit": "250000.00"}]
        },
    )
    credit_limit: CreditLimit = Decimal(0)


class ParticipantUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"credit_limit": "500000.00"}]})
    credit_limit: CreditLimit


class ParticipantPublic(ParticipantBase):
    id: int
    credit_limit: Decimal
    created_at: datetime


class ApiKeyIssued(BaseModel):
    """A new API key; ``api_key`` is shown this once and never stored in clear."""

    participant_id: int
    prefix: str
    api_key: str = Field(examples=["ftr_0a1b2c3d4e5f_5R4n..."])
    created_at: datetime


class ApiKeyPublic(BaseModel):
    """One API key as the OI sees it: its public prefix and dates, never the key or its hash."""

    participant_id: int
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = Field(description="when the OI revoked it; null while it is active")


class ParticipantCreated(BaseModel):
    participant: ParticipantPublic
    key: ApiKeyIssued


class CreditPublic(BaseModel):
    """A participant's credit position under the documented credit rule, in $.

    Credit fields have one name on every response: ``credit_limit`` (here, on participants and in an
    ``insufficient-credit`` problem), ``credit_in_use``, ``credit_available`` (here and in the
    problem), ``credit_in_use_by_awards`` (here), ``credit_held`` (one bid or offer) and
    ``credit_required`` (the problem).
    """

    participant_id: int
    credit_limit: Decimal = Field(description="the limit set by the OI, $")
    credit_in_use: Decimal = Field(description="held by open orders and unsettled awards, $")
    credit_available: Decimal = Field(description="credit_limit - credit_in_use (not below 0), $")
    credit_in_use_by_awards: Decimal = Field(
        default=Decimal(0), description="the part of credit_in_use held by awards not yet settled, $"
    )


class CreditLinePublic(BaseModel):
    """Credit held in one delivery month and period class, in $."""

    year: int
    month: int
    period_class: str
    credit_in_use: Decimal = Field(description="credit_in_use_by_orders + credit_in_use_by_awards, $")
    credit_in_use_by_orders: Decimal = Field(description="held by open bids and offers, $")
    credit_in_use_by_awards: Decimal = Field(description="held by awards not yet settled, $")


class CreditByMonthPublic(BaseModel):
    """The caller's credit position and the credit in use by delivery month and class; the lines'
    ``credit_in_use`` sum to the position's."""

    position: CreditPublic
    lines: list[CreditLinePublic]
