"""The market clock of a non-production deployment on the wire."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api_schemas.common import RequestModel


class MarketClockPublic(BaseModel):
    now: datetime = Field(description="the market time every rule of the service reads (UTC)")
    offset_seconds: float = Field(description="market time minus system time, s")
    movable: bool = Field(
        description="whether the OI may move this deployment's market clock (never in production)"
    )


class MarketClockMove(RequestModel):
    """Move the market clock forward: to an instant, or by a duration (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"advance": "P7D"}, {"to": "2027-01-16T05:00:00Z"}]},
    )
    to: AwareDatetime | None = Field(default=None, description="the new market time (with a UTC offset)")
    advance: timedelta | None = Field(
        default=None, description="how far to move forward (ISO 8601 duration, e.g. PT6H, P7D)"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> MarketClockMove:
        if (self.to is None) == (self.advance is None):
            raise ValueError("give exactly one of 'to' and 'advance'")
        if self.advance is not None and self.advance <= timedelta(0):
            raise ValueError("'advance' must be a positive duration: the market clock only moves forward")
        return self
