"""A holder's settlement statements: ``/api/v1/settlement/months/{year}/{month}/statements/{id}``
(``.../statements/me``: the caller's own).

A trader or LSE reads only its own (any other participant's is 404); the OI and auditors read all.
``version`` picks a run version of the month (default: the version in force).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from api_schemas.settlement import FtrHourPublic, HolderHourPublic, StatementPublic
from app.audit.anchors import anchor_headers
from app.deps import CurrentParticipant, ObjectId, SessionDep
from app.settlement import mapping
from app.settlement.service import SettlementService

router = APIRouter(
    prefix="/api/v1/settlement/months/{year}/{month}/statements", tags=["settlement statements"]
)

Year = Annotated[int, Path(ge=2000, le=2200, description="calendar year")]
Month = Annotated[int, Path(ge=1, le=12, description="EPT calendar month")]
Version = Annotated[int | None, Query(ge=1, le=100_000, description="run version (default: current)")]
PARQUET = "application/vnd.apache.parquet"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"example": "a,b\n1,2\n"}}}}


@router.get("/me", response_model=StatementPublic)
def read_my_statement(
    year: Year, month: Month, caller: CurrentParticipant, session: SessionDep, version: Version = None
) -> StatementPublic:
    """The caller's own statement (a holder, e.g. an LSE, need not know its participant id)."""
    return read_statement(year, month, caller.participant_id, caller, session, version)


@router.get("/{participant_id}", response_model=StatementPublic)
def read_statement(
    year: Year,
    month: Month,
    participant_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    version: Version = None,
) -> StatementPublic:
    """Month totals (TA, credit, forfeiture, OA 5.2.6(a),(b) distributions, payout ratio) and each hour."""
    service = SettlementService(session)
    run, totals, hours = service.statement(caller, year, month, participant_id, version)
    assert run.id is not None
    return StatementPublic(
        year=year,
        month=month,
        run_id=run.id,
        version=run.version,
        is_current=run.is_current,
        month_totals=mapping.holder_month_public(totals),
        hours=[mapping.holder_hour_public(h) for h in hours],
        audit=service.statement_anchor(run, participant_id),
    )


@router.get("/{participant_id}/hours.csv", response_class=PlainTextResponse, responses=CSV_RESPONSE)
def export_statement_hours(
    year: Year,
    month: Month,
    participant_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    version: Version = None,
) -> PlainTextResponse:
    """The statement's hours as CSV (``hour_ending,target_allocation,credit,payout_ratio``)."""
    statement = read_statement(year, month, participant_id, caller, session, version)
    text = mapping.to_csv(statement.hours, list(HolderHourPublic.model_fields))
    return PlainTextResponse(text, media_type="text/csv")


@router.get("/{participant_id}/ftrs", response_model=list[FtrHourPublic])
def read_statement_ftrs(
    year: Year,
    month: Month,
    participant_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    version: Version = None,
) -> list[FtrHourPublic]:
    """Per FTR held and hour: TA before forfeiture, forfeited, TA, credit, payout ratio."""
    return SettlementService(session).statement_ftr_hours(caller, year, month, participant_id, version)


@router.get("/{participant_id}/ftrs.csv", response_class=PlainTextResponse, responses=CSV_RESPONSE)
def export_statement_ftrs(
    year: Year,
    month: Month,
    participant_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    version: Version = None,
) -> StreamingResponse:
    """Per FTR and hour, as CSV (streamed in chunks); the audit anchor in the ``X-Audit-*`` headers."""
    chunks, anchor = SettlementService(session).statement_ftr_csv(
        caller, year, month, participant_id, version
    )
    return StreamingResponse(chunks, media_type="text/csv", headers=anchor_headers(anchor))


@router.get(
    "/{participant_id}/ftrs.parquet",
    response_class=StreamingResponse,
    responses={200: {"content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}}},
)
def export_statement_ftrs_parquet(
    year: Year,
    month: Month,
    participant_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    version: Version = None,
) -> StreamingResponse:
    """Per FTR and hour, as Parquet (integer cents and tenths of a MW, streamed a row group at a time);
    the audit anchor in the ``X-Audit-*`` headers and the file's ``audit`` metadata."""
    chunks, anchor = SettlementService(session).statement_ftr_parquet(
        caller, year, month, participant_id, version
    )
    return StreamingResponse(chunks, media_type=PARQUET, headers=anchor_headers(anchor))
