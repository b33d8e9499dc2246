"""Network model versions on the wire (uploads are multipart: ``file``, ``format``, ``name``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class NetworkFormatName(StrEnum):
    MATPOWER = "matpower"
    JSON = "json"


class NetworkVersionPublic(BaseModel):
    id: int
    name: str = Field(examples=["case_ACTIVSg200"])
    content_hash: str = Field(description="SHA-256 of the canonical JSON document", examples=["9f2c...e1"])
    source_format: NetworkFormatName
    n_buses: int
    n_branches: int
    n_pricing_points: int
    created_at: datetime


class PricingPointPublic(BaseModel):
    point_id: str = Field(examples=["101"])
    kind: str = Field(examples=["bus"])
    name: str | None = Field(
        default=None,
        description="what users call the bus (MATPOWER bus_name) where the model names it",
        examples=["ALPHA 230"],
    )
