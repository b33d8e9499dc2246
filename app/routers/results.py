"""Posted results (OA 7.3.7) per class auction, as JSON or CSV tables."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from api_schemas.auctions import PeriodClassIn
from api_schemas.clearing import ClassResultsPublic
from app.audit.anchors import anchor_headers
from app.clearing.results import (
    AWARD_SCHEMA,
    ResultsService,
    awards_csv_chunks,
    awards_record_batches,
    results_csv,
)
from app.deps import CurrentParticipant, ObjectId, SessionDep
from app.settlement.detail_file import parquet_chunks

PARQUET = "application/vnd.apache.parquet"
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
) -> Response:
    """One results table of a posted class auction as CSV (the awards streamed a batch at a time); the
    posting's audit anchor in the ``X-Audit-*`` headers."""
    service = ResultsService(session)
    if table is ResultTable.AWARDS:
        batches = service.award_batches(caller, auction_id, period_class.value)
        headers = anchor_headers(service.posting_anchor(caller, auction_id))
        return StreamingResponse(awards_csv_chunks(batches), media_type="text/csv", headers=headers)
    results = service.class_results(caller, auction_id, period_class.value)
    return PlainTextResponse(
        results_csv(results, table.value), media_type="text/csv", headers=anchor_headers(results.audit)
    )


@router.get(
    "/{period_class}/awards.parquet",
    response_class=StreamingResponse,
    responses={200: {"content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}}},
)
def export_awards_parquet(
    auction_id: ObjectId, period_class: PeriodClassIn, caller: CurrentParticipant, session: SessionDep
) -> StreamingResponse:
    """The awards of a posted class auction as Parquet (MW in tenths, prices in cents), streamed."""
    service = ResultsService(session)
    batches = service.award_batches(caller, auction_id, period_class.value)
    anchor = service.posting_anchor(caller, auction_id)
    metadata = {"audit": anchor.model_dump_json()} if anchor is not None else {}
    chunks = parquet_chunks(awards_record_batches(batches), AWARD_SCHEMA, metadata)
    return StreamingResponse(chunks, media_type=PARQUET, headers=anchor_headers(anchor))
