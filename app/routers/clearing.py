"""Clearing and posting (OI): ``/api/v1/auctions/{id}/clear``, ``.../post`` and ``/api/v1/clearing-jobs``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api_schemas.auctions import AuctionPublic, PostRequest
from api_schemas.clearing import ClearingJobPublic
from api_schemas.common import Page
from app.auctions.mapping import auction_public
from app.clearing.flows import retry_clearing, start_clearing
from app.clearing.posting import post_auction
from app.clearing.results import ResultsService, job_public
from app.deps import ClockDep, CurrentParticipant, CursorPageDep, ObjectId, Operator, SessionDep, SettingsDep
from app.jobs import JobKind, JobStatus
from app.jobs.listing import JobFilter
from app.jobs.service import JobService
from app.routers.jobs import SinceQuery, StatusQuery

router = APIRouter(prefix="/api/v1", tags=["clearing"])


@router.post(
    "/auctions/{auction_id}/clear", status_code=status.HTTP_202_ACCEPTED, response_model=ClearingJobPublic
)
def clear_auction(
    auction_id: ObjectId,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
) -> ClearingJobPublic:
    """Start clearing both class auctions in the background (closed or cleared, not posted). OI only.

    ``Location`` names the job to poll."""
    job = start_clearing(
        session,
        auction_id=auction_id,
        requested_by=caller.participant_id,
        clock=clock,
        jobs=request.app.state.jobs,
    )
    response.headers["Location"] = f"/api/v1/clearing-jobs/{job.id}"
    return job_public(job, clock.now())


@router.get("/clearing-jobs/{job_id}", response_model=ClearingJobPublic)
def read_job(
    job_id: ObjectId, caller: CurrentParticipant, session: SessionDep, clock: ClockDep
) -> ClearingJobPublic:
    """A clearing job: status, progress, elapsed time, log and result fingerprints (OI and auditors)."""
    return job_public(ResultsService(session).job(caller, job_id), clock.now())


@router.post("/clearing-jobs/{job_id}/cancel", response_model=ClearingJobPublic)
def cancel_job(job_id: ObjectId, caller: Operator, session: SessionDep, clock: ClockDep) -> ClearingJobPublic:
    """Cancel a clearing job: a queued one at once, a running one at its next progress point; a
    cancelled job stores nothing. OI only."""
    job = JobService(session).cancel(job_id, JobKind.CLEARING, by=caller.participant_id, now=clock.now())
    return job_public(job, clock.now())


@router.post(
    "/clearing-jobs/{job_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=ClearingJobPublic
)
def retry_job(
    job_id: ObjectId,
    request: Request,
    response: Response,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
) -> ClearingJobPublic:
    """Queue a failed or cancelled clearing job again from its stored inputs: a new job (its log
    names the one retried), audited. 409 while the auction has a clearing job queued or running,
    or once it is posted. OI only. ``Location`` names the new job."""
    job = retry_clearing(
        session, job_id=job_id, requested_by=caller.participant_id, clock=clock, jobs=request.app.state.jobs
    )
    response.headers["Location"] = f"/api/v1/clearing-jobs/{job.id}"
    return job_public(job, clock.now())


@router.get("/auctions/{auction_id}/clearing-jobs", response_model=Page[ClearingJobPublic])
def list_jobs(
    auction_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    clock: ClockDep,
    page: CursorPageDep,
    status: StatusQuery = None,
    created_since: SinceQuery = None,
) -> Page[ClearingJobPublic]:
    """The clearing jobs of an auction, oldest first, filtered by status and creation time; paged by
    cursor or offset (OI and auditors)."""
    filters = JobFilter(status=JobStatus(status.value) if status else None, created_since=created_since)
    found = ResultsService(session).jobs(caller, auction_id, filters, page)
    return Page(
        items=[job_public(row[0], clock.now()) for row in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )


@router.post("/auctions/{auction_id}/post", response_model=AuctionPublic)
def post_results(
    auction_id: ObjectId,
    caller: Operator,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: PostRequest | None = None,
) -> AuctionPublic:
    """cleared -> posted: results become public and awards become holdings (OA 7.3.7). OI only.

    After the posting deadline (``posting_deadline`` on the auction) the body must give ``late_reason``.
    """
    late_reason = body.late_reason if body is not None else None
    return auction_public(
        post_auction(
            session,
            auction_id,
            clock.now(),
            credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh,
            posted_by=caller.participant_id,
            late_reason=late_reason,
        )
    )
