"""``/api/v1/auctions/{id}/path-price``: a posted path price and its decomposition by binding constraint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api_schemas.auctions import PeriodClassIn
from api_schemas.bids import PointId
from api_schemas.path_price import PathPricePublic
from app.clearing.path_price import PathPriceService
from app.deps import CurrentParticipant, ObjectId, SessionDep

router = APIRouter(prefix="/api/v1/auctions/{auction_id}", tags=["results"])


@router.get("/path-price", response_model=PathPricePublic)
def path_price(
    auction_id: ObjectId,
    source: Annotated[PointId, Query(description="receipt pricing point", examples=["1"])],
    sink: Annotated[PointId, Query(description="delivery pricing point", examples=["3"])],
    period_class: Annotated[
        PeriodClassIn,
        Query(
            alias="class",
            description="on_peak or off_peak (or as written: ONPEAK, on-peak, peak, OFFPEAK, ...)",
        ),
    ],
    caller: CurrentParticipant,
    session: SessionDep,
) -> PathPricePublic:
    """Price of the path source -> sink in a posted class auction and each binding constraint's share."""
    return PathPriceService(session).lookup(caller, auction_id, period_class.value, source, sink)
