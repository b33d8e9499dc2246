"""Posted results (OA 7.3.7) per class auction, as JSON or CSV tables."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api_schemas.auctions import PeriodClassIn
from api_schemas.clearing import ClassResultsPublic
from app.clearing.results import ResultsService, results_csv
from app.deps import CurrentParticipant, ObjectId, SessionDep

router = APIRouter(prefix="/api/v1/auctions/{auction_id}/results", tags=["results"])


class ResultTable(StrEnum):
    AWARDS = "awards"
    NODAL_PRICES = "nodal_prices"
    BINDING_CONSTRAINTS = "binding_constraints"


@router.get("/{period_class}", response_model=ClassResultsPublic)
def read_results(
    auction_id: ObjectId, period_class: PeriodClassIn, caller: CurrentParticipant, session: SessionDep
) -> ClassResultsPublic:
    """Awards, nodal prices and binding constraints of a posted class auction (never a bid price)."""
    return ResultsService(session).class_results(caller, auction_id, period_class.value)


@router.get(
    "/{period_class}/{table}.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {"example": "point_id,price\n1,-10.00\n"}}}},
)
def export_results(
    auction_id: ObjectId,
    period_class: PeriodClassIn,
    table: ResultTable,
    caller: CurrentParticipant,
    session: SessionDep,
) -> PlainTextResponse:
    """One results table of a posted class auction as CSV."""
    results = ResultsService(session).class_results(caller, auction_id, period_class.value)
    return PlainTextResponse(results_csv(results, table.value), media_type="text/csv")
