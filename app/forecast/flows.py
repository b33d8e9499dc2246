"""The forecast flow: queue a job for a cleared auction, simulate outside any transaction, store the report.

    start_forecast (request)      cleared (not posted) auction, no unfinished forecast -> job ``queued``;
                                  enqueued after commit
    forecast_auction (task)       ``running`` -> snapshot (network version, period conditions, the FTRs
                                  held after the awards: :mod:`app.forecast.positions`) ->
                                  :func:`simulation.monthly.forecast_month` -> ONE transaction: report
                                  stored, job ``succeeded`` (:mod:`app.forecast.tasks`)

The simulation (OA 7.4: is congestion revenue enough "under expected conditions"?) runs the
auction's month hour by hour in EPT with the auction's scheduled outages and loop flow as the base
case, then each outage scenario on top of it (see :mod:`simulation.forecast` for the maths).
A failure stores no report; the job records the error.
"""

from __future__ import annotations

from sqlmodel import Session

from api_schemas.forecast import ForecastRequest
from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.clock import Clock
from app.errors import Conflict, InvalidStateTransition, NotFound
from app.forecast import tasks  # noqa: F401  (registers the forecast task)
from app.jobs import Job, JobKind, JobStatus, Runner, enqueue
from app.jobs.repository import JobRepository


class ForecastJobRunning(Conflict):
    slug = "job-already-running"
    title = "A forecast job for this auction is already queued or running"


def start_forecast(
    session: Session,
    *,
    auction_id: int,
    request: ForecastRequest,
    requested_by: int,
    clock: Clock,
    jobs: Runner,
) -> Job:
    """Queue a forecast of a cleared (not yet posted) auction; 409 otherwise or if one is unfinished."""
    job = create_forecast_job(
        session, auction_id=auction_id, request=request, requested_by=requested_by, clock=clock
    )
    assert job.id is not None
    enqueue(session, jobs, job.id)
    return job


def create_forecast_job(
    session: Session, *, auction_id: int, request: ForecastRequest, requested_by: int, clock: Clock
) -> Job:
    """The queued job row (the command line runs it in-process with :func:`app.jobs.run_job`)."""
    auction = AuctionRepository(session).lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    if AuctionStatus(auction.status) is not AuctionStatus.CLEARED:
        raise InvalidStateTransition(
            f"auction {auction_id} is {auction.status}; only a cleared (not yet posted) auction is forecast",
            extensions={"current_status": auction.status},
        )
    jobs = JobRepository(session)
    unfinished = jobs.unfinished(JobKind.FORECAST, auction_id=auction_id)
    if unfinished is not None:
        raise ForecastJobRunning(f"auction {auction_id} already has forecast job {unfinished.id} unfinished")
    return jobs.add(
        Job(
            kind=JobKind.FORECAST,
            auction_id=auction_id,
            year=auction.year,
            month=auction.month,
            status=JobStatus.QUEUED,
            parameters=request.model_dump_json(),
            requested_by_id=requested_by,
            created_at=clock.now(),
        )
    )
