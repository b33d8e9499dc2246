"""Jobs of every kind (clearing, settlement, forecast) on the wire: the OI's list of the queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from api_schemas.clearing import JobStatusName


class JobKindName(StrEnum):
    CLEARING = "clearing"
    SETTLEMENT = "settlement"
    FORECAST = "forecast"


class JobPublic(BaseModel):
    """A job of any kind, as the job list shows it; its kind's own route gives its result
    (``/api/v1/clearing-jobs/{id}``, ``/api/v1/settlement/jobs/{id}``, ``/api/v1/forecast-jobs/{id}``)."""

    id: int
    kind: JobKindName
    status: JobStatusName
    auction_id: int | None = Field(description="the auction cleared or forecast (null for settlement)")
    year: int
    month: int = Field(description="the auction's month, or the settled month")
    progress: float = Field(ge=0, le=1)
    phase: str | None = Field(description="where the job is: snapshot, solve on_peak, store, done, ...")
    elapsed_s: float | None = Field(description="seconds from start to finish (or to now while running)")
    error: str | None
    retry_of: int | None = Field(default=None, description="the job this one retries, if it is a retry")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    href: str = Field(description="the job on its kind's route")
