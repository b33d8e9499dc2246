"""Revenue-adequacy forecasts (OA 7.4): ``/api/v1/auctions/{id}/forecast`` and ``/api/v1/forecast-jobs``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status

from api_schemas.common import Page
from api_schemas.forecast import ForecastJobPublic, ForecastRequest
from app.deps import ClockDep, CurrentParticipant, CursorPageDep, ObjectId, Operator, SessionDep
from app.forecast.flows import start_forecast
from app.forecast.mapping import forecast_job_public
from app.forecast.service import ForecastService
from app.jobs import JobKind, JobStatus
from app.jobs.listing import JobFilter
from app.jobs.service import JobService
from app.routers.jobs import SinceQuery, StatusQuery

router = APIRouter(prefix="/api/v1", tags=["forecast"])


@router.post(
    "/auctions/{auction_id}/forecast", status_code=status.HTTP_202_ACCEPTED, response_model=ForecastJobPublic
)
def forecast_auction(
    auction_id: ObjectId,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ForecastRequest | None, Body()] = None,
) -> ForecastJobPublic:
    """Start a revenue-adequacy forecast of a cleared (not yet posted) auction in the background. OI only.

    The month is simulated under the base case and outage scenarios; the report gives the expected
    and worst payout ratio per class, the constraints causing shortfalls and the FTRs most exposed.
    """
    job = start_forecast(
        session,
        auction_id=auction_id,
        request=body or ForecastRequest(),
        requested_by=caller.participant_id,
        clock=clock,
        jobs=request.app.state.jobs,
    )
    response.headers["Location"] = f"/api/v1/forecast-jobs/{job.id}"
    return forecast_job_public(job, clock.now())


@router.get("/forecast-jobs/{job_id}", response_model=ForecastJobPublic)
def read_forecast_job(
    job_id: ObjectId, caller: CurrentParticipant, session: SessionDep, clock: ClockDep
) -> ForecastJobPublic:
    """A forecast job: status, progress, elapsed time, log and, once succeeded, the report (OI, auditors)."""
    return forecast_job_public(ForecastService(session).job(caller, job_id), clock.now())


@router.post("/forecast-jobs/{job_id}/cancel", response_model=ForecastJobPublic)
def cancel_forecast_job(
    job_id: ObjectId, caller: Operator, session: SessionDep, clock: ClockDep
) -> ForecastJobPublic:
    """Cancel a forecast job: a queued one at once, a running one at its next progress point; a
    cancelled job stores no report. OI only."""
    job = JobService(session).cancel(job_id, JobKind.FORECAST, by=caller.participant_id, now=clock.now())
    return forecast_job_public(job, clock.now())


@router.post(
    "/forecast-jobs/{job_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=ForecastJobPublic
)
def retry_forecast_job(
    job_id: ObjectId,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
) -> ForecastJobPublic:
    """Queue a failed or cancelled forecast job again with its stored parameters: a new job (its log
    names the one retried), audited. 409 while the auction has a forecast job queued or running.
    OI only. ``Location`` names the new job."""
    job = JobService(session).retry(
        job_id, JobKind.FORECAST, by=caller.participant_id, now=clock.now(), jobs=request.app.state.jobs
    )
    response.headers["Location"] = f"/api/v1/forecast-jobs/{job.id}"
    return forecast_job_public(job, clock.now())


@router.get("/auctions/{auction_id}/forecast-jobs", response_model=Page[ForecastJobPublic])
def list_forecast_jobs(
    auction_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    clock: ClockDep,
    page: CursorPageDep,
    status: StatusQuery = None,
    created_since: SinceQuery = None,
) -> Page[ForecastJobPublic]:
    """The forecast jobs of an auction, oldest first, filtered by status and creation time; paged by
    cursor or offset (OI and auditors)."""
    filters = JobFilter(status=JobStatus(status.value) if status else None, created_since=created_since)
    found = ForecastService(session).jobs(caller, auction_id, filters, page)
    return Page(
        items=[forecast_job_public(row[0], clock.now()) for row in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )
