"""Monthly settlement for the OI (OA 5.2): ``/api/v1/settlement`` inputs, runs, jobs, year end.

Uploads take the table as the request body: ``text/csv`` (header row first) or Parquet
(``application/vnd.apache.parquet``). All rows are checked; every bad cell is reported as
``{row, field, reason}`` and nothing is stored unless all are good. Uploading the same content
again stores nothing (200, ``Idempotent-Replayed: true``); different content is the next version.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api_schemas.settlement import (
    ChangePublic,
    HolderMonthPublic,
    HourTotalPublic,
    InputSetPublic,
    SettlementJobPublic,
    SettlementRunCreate,
    SettlementRunPublic,
    YearEndPublic,
    YearStatePublic,
)
from app.deps import ClockDep, CurrentParticipant, ObjectId, Operator, SessionDep, SettlementReader
from app.participants.service import Caller
from app.settlement import mapping
from app.settlement.flows import start_settlement
from app.settlement.input_kinds import InputKind, MonthInputKind
from app.settlement.service import YEAR, SettlementService

router = APIRouter(prefix="/api/v1/settlement", tags=["settlement"])

MAX_INPUT_ROWS = 20_000_000
Year = Annotated[int, Path(ge=2000, le=2200, description="calendar year")]
Month = Annotated[int, Path(ge=1, le=12, description="EPT calendar month")]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"example": "a,b\n1,2\n"}}}}


def _upload_body(example: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": example},
                "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


async def _upload(
    request: Request,
    response: Response,
    caller: Caller,
    session: Any,
    clock: Any,
    year: int,
    month: int,
    kind: InputKind,
) -> InputSetPublic:
    content = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()

    def run() -> InputSetPublic:
        entry, created = SettlementService(session).upload(
            caller,
            year=year,
            month=month,
            kind=kind,
            content=content,
            media_type=media_type,
            max_rows=MAX_INPUT_ROWS,
            now=clock.now(),
        )
        if not created:
            response.status_code = status.HTTP_200_OK
            response.headers["Idempotent-Replayed"] = "true"
        return mapping.input_set_public(entry)

    return await run_in_threadpool(run)


@router.post(
    "/months/{year}/{month}/inputs/{kind}",
    status_code=status.HTTP_201_CREATED,
    response_model=InputSetPublic,
    responses={
        200: {"model": InputSetPublic, "description": "identical to the latest version: nothing stored"}
    },
    openapi_extra=_upload_body("hour_ending,da_congestion\n2027-01-01T06:00:00+00:00,1375.00\n"),
)
async def upload_month_input(
    year: Year,
    month: Month,
    kind: MonthInputKind,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
) -> InputSetPublic:
    """Upload one input table of a month (CSV or Parquet; columns per kind in the service docs). OI only."""
    return await _upload(request, response, caller, session, clock, year, month, InputKind(kind.value))


@router.post(
    "/years/{year}/year-end-charges",
    status_code=status.HTTP_201_CREATED,
    response_model=InputSetPublic,
    responses={
        200: {"model": InputSetPublic, "description": "identical to the latest version: nothing stored"}
    },
    openapi_extra=_upload_body(
        "participant_id,network_demand_charges,reserved_capacity_charges\n7,300000,0\n"
    ),
)
async def upload_year_end_charges(
    year: Year, request: Request, response: Response, caller: Operator, session: SessionDep, clock: ClockDep
) -> InputSetPublic:
    """Network demand + firm PTP reserved-capacity charges of the year per customer (OA 5.2.6(c)). OI."""
    return await _upload(request, response, caller, session, clock, year, YEAR, InputKind.YEAR_END_CHARGES)


@router.get("/months/{year}/{month}/inputs", response_model=list[InputSetPublic])
def list_month_inputs(
    year: Year, month: Month, caller: SettlementReader, session: SessionDep
) -> list[InputSetPublic]:
    """Every version of every input table of a month, the holdings snapshots of its runs included."""
    return [mapping.input_set_public(s) for s in SettlementService(session).inputs_of(year, month)]


@router.get("/input-sets/{input_set_id}", response_model=InputSetPublic)
def read_input_set(input_set_id: ObjectId, caller: SettlementReader, session: SessionDep) -> InputSetPublic:
    """One input table's metadata (OI and auditors)."""
    return mapping.input_set_public(SettlementService(session).input_set(input_set_id))


@router.get("/input-sets/{input_set_id}/rows.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_input_set(
    input_set_id: ObjectId, caller: SettlementReader, session: SessionDep
) -> StreamingResponse:
    """One input table in its canonical CSV form (its SHA-256 is the content hash), streamed; hourly
    prices stored as a file: the file's rows as long CSV (the file's SHA-256 is ``file_sha256``)."""
    return StreamingResponse(SettlementService(session).input_csv(input_set_id), media_type="text/csv")


@router.post(
    "/months/{year}/{month}/runs", status_code=status.HTTP_202_ACCEPTED, response_model=SettlementJobPublic
)
def settle_month(
    year: Year,
    month: Month,
    body: SettlementRunCreate,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
) -> SettlementJobPublic:
    """Settle a month in the background (a settled month: new version, later months re-flowed). OI only."""
    job = start_settlement(
        session,
        year=year,
        month=month,
        reason=body.reason,
        requested_by=caller.participant_id,
        clock=clock,
        jobs=request.app.state.jobs,
    )
    response.headers["Location"] = f"/api/v1/settlement/jobs/{job.id}"
    return mapping.job_public(job, [], clock.now())


@router.get("/months/{year}/{month}/runs", response_model=list[SettlementRunPublic])
def list_runs(
    year: Year, month: Month, caller: SettlementReader, session: SessionDep
) -> list[SettlementRunPublic]:
    """Every version of a month's settlement, oldest first (OI and auditors)."""
    return [mapping.run_public(r) for r in SettlementService(session).runs_of(year, month)]


@router.get("/jobs/{job_id}", response_model=SettlementJobPublic)
def read_job(
    job_id: ObjectId, caller: SettlementReader, session: SessionDep, clock: ClockDep
) -> SettlementJobPublic:
    """A settlement job: status, progress, log, error, and the runs it stored (OI and auditors)."""
    job, run_ids = SettlementService(session).job(job_id)
    return mapping.job_public(job, run_ids, clock.now())


@router.post("/jobs/{job_id}/cancel", response_model=SettlementJobPublic)
def cancel_job(
    job_id: ObjectId, caller: Operator, session: SessionDep, clock: ClockDep
) -> SettlementJobPublic:
    """Cancel a settlement job: a queued one at once, a running one at its next progress point; a
    cancelled job stores no run. OI only."""
    job, run_ids = SettlementService(session).cancel_job(job_id, by=caller.participant_id, now=clock.now())
    return mapping.job_public(job, run_ids, clock.now())


@router.post("/jobs/{job_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=SettlementJobPublic)
def retry_job(
    job_id: ObjectId,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
) -> SettlementJobPublic:
    """Queue a failed or cancelled settlement job again from its stored inputs: a new job (its log
    names the one retried), audited. 409 while a settlement job of the year is queued or running.
    OI only. ``Location`` names the new job."""
    job = SettlementService(session).retry_job(
        job_id, by=caller.participant_id, now=clock.now(), jobs=request.app.state.jobs
    )
    response.headers["Location"] = f"/api/v1/settlement/jobs/{job.id}"
    return mapping.job_public(job, [], clock.now())


@router.get("/runs/{run_id}", response_model=SettlementRunPublic)
def read_run(run_id: ObjectId, caller: SettlementReader, session: SessionDep) -> SettlementRunPublic:
    """One version of a month: inputs used, year state fingerprints, month summary (OI and auditors)."""
    return mapping.run_public(SettlementService(session).run(run_id))


@router.get("/runs/{run_id}/hours", response_model=list[HourTotalPublic])
def read_run_hours(run_id: ObjectId, caller: SettlementReader, session: SessionDep) -> list[HourTotalPublic]:
    """Hourly totals: charges by component, TA, credits, excess, payout ratio, OA 5.2.5 case."""
    return [mapping.hour_public(h) for h in SettlementService(session).run_hours(run_id)]


@router.get("/runs/{run_id}/hours.csv", response_class=PlainTextResponse, responses=CSV_RESPONSE)
def export_run_hours(run_id: ObjectId, caller: SettlementReader, session: SessionDep) -> PlainTextResponse:
    """Hourly totals as CSV."""
    rows = read_run_hours(run_id, caller, session)
    return PlainTextResponse(mapping.to_csv(rows, list(HourTotalPublic.model_fields)), media_type="text/csv")


@router.get("/runs/{run_id}/holders", response_model=list[HolderMonthPublic])
def read_run_holders(
    run_id: ObjectId, caller: SettlementReader, session: SessionDep
) -> list[HolderMonthPublic]:
    """Every holder's month totals and distributions (this month's and the year's earlier holders)."""
    return [mapping.holder_month_public(m) for m in SettlementService(session).run_holder_months(run_id)]


@router.get("/runs/{run_id}/holders.csv", response_class=PlainTextResponse, responses=CSV_RESPONSE)
def export_run_holders(run_id: ObjectId, caller: SettlementReader, session: SessionDep) -> PlainTextResponse:
    """Every holder's month totals as CSV."""
    rows = read_run_holders(run_id, caller, session)
    return PlainTextResponse(
        mapping.to_csv(rows, list(HolderMonthPublic.model_fields)), media_type="text/csv"
    )


@router.get("/runs/{run_id}/year-state", response_model=YearStatePublic)
def read_run_year_state(run_id: ObjectId, caller: SettlementReader, session: SessionDep) -> YearStatePublic:
    """The calendar year's running totals (``settlement.year_state``) before and after this run."""
    before, after = SettlementService(session).run_year_state(run_id)
    return YearStatePublic(before=before, after=after)


@router.get("/runs/{run_id}/differences", response_model=list[ChangePublic])
def read_run_differences(
    run_id: ObjectId, caller: SettlementReader, session: SessionDep
) -> list[ChangePublic]:
    """Per holder, each amount that changed against the version this run replaced (empty for a first run)."""
    return [mapping.change_public(c) for c in SettlementService(session).run_changes(run_id)]


@router.get("/runs/{run_id}/ftr-differences.csv", response_class=PlainTextResponse, responses=CSV_RESPONSE)
def export_run_ftr_differences(
    run_id: ObjectId, caller: SettlementReader, session: SessionDep
) -> StreamingResponse:
    """Per holder, FTR and hour, each amount's old and new value where any changed against the version
    this run replaced, compared column by column from the two runs' detail files (streamed CSV:
    ``participant_id,hour_ending,ftr_id`` then ``<amount>_old,<amount>_new`` for TA before
    forfeiture, forfeited, TA and credit; only the header for a first run)."""
    return StreamingResponse(
        SettlementService(session).run_ftr_differences_csv(run_id), media_type="text/csv"
    )


@router.post("/years/{year}/year-end", status_code=status.HTTP_201_CREATED, response_model=YearEndPublic)
def distribute_year_end(year: Year, caller: Operator, session: SessionDep, clock: ClockDep) -> YearEndPublic:
    """OA 5.2.6(c): share the year's carried excess by the customers' charges (December settled). OI only."""
    return mapping.year_end_public(
        *SettlementService(session).distribute_and_read_year_end(caller, year, clock.now())
    )


@router.get("/years/{year}/year-end", response_model=YearEndPublic)
def read_year_end(year: Year, caller: CurrentParticipant, session: SessionDep) -> YearEndPublic:
    """The latest year-end distribution (a holder sees only its own share)."""
    return mapping.year_end_public(*SettlementService(session).year_end(caller, year))
