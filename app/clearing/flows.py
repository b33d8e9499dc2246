"""The clearing flow: start a job; the task (:mod:`app.clearing.tasks`) clears and stores at once.

    start_clearing (request)      closed auction, no unfinished job -> job ``queued``; enqueued after commit
                                  (state checks only: the bid book's seal is checked by the task, so
                                  the request never reads the book; an altered book fails the job
                                  with ``bid-book-altered``)
    clear_auction (task)          ``running`` -> snapshot -> clear on-peak, off-peak, independently
                                  -> ONE transaction: replace results, auction ``cleared``, job ``succeeded``

The engine works outside any transaction (a long solve holds no lock). The results, the auction's
move to ``cleared`` and the job's success commit together or not at all; a failure at any point
leaves the auction ``closed`` with no results, and a new job can run. Re-running a ``cleared``
(not yet posted) auction replaces its results; the same inputs give identical results, which the
job records as ``input_hash`` and ``result_hash``.
"""

from __future__ import annotations

from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus, effective_status, transition_refusal
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService
from app.bid_book import seal_and_record_close
from app.clearing import tasks  # noqa: F401  (registers the clearing task)
from app.clearing.tasks import RERUNNABLE
from app.clock import Clock
from app.errors import InvalidStateTransition, JobAlreadyRunning, NotFound
from app.jobs import Job, JobKind, JobStatus, Runner, enqueue
from app.jobs.repository import JobRepository
from app.jobs.service import JobService


def start_clearing(
    session: Session, *, auction_id: int, requested_by: int, clock: Clock, jobs: Runner
) -> Job:
    """Queue a clearing job for a closed (or cleared, not posted) auction."""
    now = clock.now()
    auctions = AuctionRepository(session)
    auction = auctions.lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    status = effective_status(AuctionStatus(auction.status), auction.closes_at, now)
    if status not in RERUNNABLE:
        raise InvalidStateTransition(
            transition_refusal(
                auction_id, AuctionStatus(auction.status), AuctionStatus.CLEARED, auction.closes_at, now
            ),
            extensions={"current_status": status.value, "closes_at": auction.closes_at.isoformat()},
        )
    if AuctionStatus(auction.status) is AuctionStatus.OPEN:
        service = AuctionService(session)
        service.mark(auction, AuctionStatus.CLOSED, now)
        seal_and_record_close(session, auction, now, "system")
    repo = JobRepository(session)
    unfinished = repo.unfinished(JobKind.CLEARING, auction_id=auction_id)
    if unfinished is not None:
        raise JobAlreadyRunning(
            f"auction {auction_id} already has clearing job {unfinished.id} {unfinished.status} "
            "(it clears both class auctions of the month): wait for it or cancel it",
            extensions={"job_id": unfinished.id, "job_status": unfinished.status},
        )
    job = repo.add(
        Job(
            kind=JobKind.CLEARING,
            auction_id=auction_id,
            year=auction.year,
            month=auction.month,
            status=JobStatus.QUEUED,
            requested_by_id=requested_by,
            created_at=now,
        )
    )
    assert job.id is not None
    enqueue(session, jobs, job.id)
    return job


def retry_clearing(session: Session, *, job_id: int, requested_by: int, clock: Clock, jobs: Runner) -> Job:
    """Queue a failed or cancelled clearing job again from its stored inputs (OI, audited
    ``job.retry``); the auction must still be closed or cleared (not posted)."""
    now = clock.now()
    old = JobRepository(session).get(job_id, JobKind.CLEARING)
    if old is None or old.auction_id is None:
        raise NotFound(f"clearing job {job_id} not found")
    auction = AuctionRepository(session).lock(old.auction_id)
    assert auction is not None
    status = effective_status(AuctionStatus(auction.status), auction.closes_at, now)
    if status not in RERUNNABLE:
        raise InvalidStateTransition(
            f"auction {old.auction_id} is {status.value}; only a closed or cleared (not posted) "
            f"auction's clearing job can be retried",
            extensions={"current_status": status.value},
        )
    return JobService(session).retry(job_id, JobKind.CLEARING, by=requested_by, now=now, jobs=jobs)
