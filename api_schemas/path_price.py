"""A path's posted clearing price and its decomposition by binding constraint."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from api_schemas.auctions import PeriodClassName


class PathPriceTerm(BaseModel):
    """One binding row's share of the path price."""

    constraint_id: str
    contingency_id: str | None = Field(description="null: the base case")
    shadow_price: Decimal = Field(description="$/MW for the period per MW of flow on the row")
    sensitivity: Decimal = Field(
        description="MW on the row, in its binding direction, per MW from source to sink"
    )
    contribution: Decimal = Field(description="shadow_price x sensitivity, $/MW for the period")


class PathPricePublic(BaseModel):
    """``price`` = price(sink) - price(source) as posted; the terms add up to it (to rounding)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "auction_id": 1,
                    "period_class": "on_peak",
                    "source": "1",
                    "sink": "3",
                    "price": "1200.00",
                    "source_price": "-400.00",
                    "sink_price": "800.00",
                    "terms": [
                        {
                            "constraint_id": "1-3",
                            "contingency_id": None,
                            "shadow_price": "1800.000000",
                            "sensitivity": "0.666667",
                            "contribution": "1200.00",
                        }
                    ],
                }
            ]
        }
    }

    auction_id: int
    period_class: PeriodClassName
    source: str
    sink: str
    price: Decimal = Field(description="$/MW for the period of an obligation source -> sink")
    source_price: Decimal
    sink_price: Decimal
    terms: list[PathPriceTerm] = Field(description="one per binding constraint, largest |contribution| first")
