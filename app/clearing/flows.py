"""The clearing flow: start a job, snapshot the inputs, clear each class, store everything at once.

    start_clearing (request)      closed auction, no unfinished job -> job ``queued``; enqueued after commit
    run_clearing_job (worker)     ``running`` -> snapshot -> clear on-peak, off-peak, independently
                                  -> ONE transaction: replace results, auction ``cleared``, job ``succeeded``
    recover_interrupted_jobs      at start-up: jobs a dead process left ``queued``/``running`` -> ``failed``

The engine works outside any transaction (a long solve holds no lock). The results, the auction's
move to ``cleared`` and the job's success commit together or not at all; a failure at any point
leaves the auction ``closed`` with no results, and a new job can run. Re-running a ``cleared``
(not yet posted) auction replaces its results; the same inputs give identical results, which the
job records as ``input_hash`` and ``result_hash``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus, effective_status
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService
from app.audit.service import actor_of, record_audit
from app.bid_book import check_bid_book, seal_and_record_close
from app.bid_fills import BidFill
from app.bids.repository import BidRepository
from app.clearing.engine import (
    ClassOutcome,
    ClassSnapshot,
    HoldingRow,
    OrderRow,
    clear_class,
    sequence_fingerprint,
)
from app.clearing.repository import QUEUED, RUNNING, SUCCEEDED, ClearingRepository
from app.clearing.results_seal import clearing_results_hash
from app.clearing.tables import BindingConstraint, ClearingJob, NodalPrice
from app.clock import Clock
from app.db import after_commit, transaction
from app.errors import InvalidStateTransition, JobAlreadyRunning, NotFound
from app.holdings.repository import HoldingRepository
from app.jobs import JobRunner, mark_interrupted, record_failure
from app.networks.tables import NetworkVersion

logger = logging.getLogger("app.clearing")

RERUNNABLE = (AuctionStatus.CLOSED, AuctionStatus.CLEARED)


def start_clearing(
    session: Session, *, auction_id: int, requested_by: int, clock: Clock, engine: Engine, jobs: JobRunner
) -> ClearingJob:
    """Queue a clearing job for a closed (or cleared, not posted) auction."""
    now = clock.now()
    auctions = AuctionRepository(session)
    auction = auctions.lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    status = effective_status(AuctionStatus(auction.status), auction.closes_at, now)
    if status not in RERUNNABLE:
        raise InvalidStateTransition(
            f"auction {auction_id} is {status.value}; "
            "only a closed or cleared (not posted) auction can be cleared",
            extensions={"current_status": status.value},
        )
    if AuctionStatus(auction.status) is AuctionStatus.OPEN:
        service = AuctionService(session)
        service.mark(auction, AuctionStatus.CLOSED, now)
        seal_and_record_close(session, auction, now, "system")
    check_bid_book(session, auction)
    repo = ClearingRepository(session)
    if repo.unfinished_job(auction_id) is not None:
        raise JobAlreadyRunning(f"auction {auction_id} already has a clearing job queued or running")
    job = repo.save_job(
        ClearingJob(
            auction_id=auction_id, status=QUEUED, requested_by_id=requested_by, created_at=now, log=""
        )
    )
    job_id = job.id
    assert job_id is not None

    def enqueue() -> None:
        jobs.submit(lambda: run_clearing_job(engine, clock, job_id))

    after_commit(session, enqueue)
    return job


def _log(engine: Engine, clock: Clock, job_id: int, line: str, progress: float | None = None) -> None:
    with transaction(engine) as session:
        job = session.get(ClearingJob, job_id)
        assert job is not None
        job.log += f"{clock.now().isoformat()} {line}\n"
        if progress is not None:
            job.progress = progress
        session.add(job)


def _snapshot(engine: Engine, job_id: int) -> tuple[int, list[ClassSnapshot]]:
    with transaction(engine) as session:
        job = session.get(ClearingJob, job_id)
        assert job is not None
        auction = AuctionRepository(session).get(job.auction_id)
        assert auction is not None and auction.id is not None
        check_bid_book(session, auction)
        version = session.get(NetworkVersion, auction.network_version_id)
        assert version is not None
        outages = tuple(json.loads(auction.scheduled_outages))
        loop_flow = tuple(sorted(json.loads(auction.loop_flow).items()))
        snapshots = []
        for cls in AuctionRepository(session).classes(auction.id):
            assert cls.id is not None
            orders = tuple(
                OrderRow(
                    b.id, b.participant_id, b.side, b.source, b.sink, b.hedge, b.mw_tenths, b.price_cents
                )
                for b in BidRepository(session).active_in_class(cls.id)
                if b.id is not None
            )
            holdings = tuple(
                HoldingRow(h.holder_id, h.source, h.sink, h.mw_tenths, h.hedge)
                for h in HoldingRepository(session).for_period(auction.year, auction.month, cls.period_class)
            )
            snapshots.append(
                ClassSnapshot(
                    cls.id,
                    cls.period_class,
                    version.document,
                    outages,
                    loop_flow,
                    orders,
                    holdings,
                    auction.contingency_set,
                    tuple((cid, tuple(b)) for cid, b in json.loads(auction.contingencies)),
                )
            )
        return auction.id, snapshots


def store_outcomes(
    session: Session, job_id: int, auction_id: int, outcomes: list[ClassOutcome], now: datetime
) -> None:
    """Replace the auction's results and mark it cleared, in the caller's (single) transaction."""
    auction = AuctionRepository(session).lock(auction_id)
    assert auction is not None
    if AuctionStatus(auction.status) not in RERUNNABLE:
        raise InvalidStateTransition(f"auction {auction_id} became {auction.status} while clearing")
    repo = ClearingRepository(session)
    repo.clear_results([o.class_auction_id for o in outcomes])
    for outcome in outcomes:
        cid = outcome.class_auction_id
        repo.add_fills(
            [
                BidFill(
                    bid_id=f.bid_id,
                    class_auction_id=cid,
                    cleared_mw_tenths=f.cleared_mw_tenths,
                    clearing_price_cents=f.clearing_price_cents,
                )
                for f in outcome.fills
            ]
        )
        repo.add_nodal_prices(
            [
                NodalPrice(class_auction_id=cid, point_id=p, price_cents=c)
                for p, c in outcome.nodal_prices_cents
            ]
        )
        repo.add_binding(
            [
                BindingConstraint(
                    class_auction_id=cid,
                    constraint_id=b.constraint_id,
                    contingency_id=b.contingency_id,
                    shadow_price=b.shadow_price,
                    flow_mw=b.flow_mw,
                    limit_mw=b.limit_mw,
                )
                for b in outcome.binding
            ]
        )
    if AuctionStatus(auction.status) is AuctionStatus.CLOSED:
        AuctionService(session).mark(auction, AuctionStatus.CLEARED, now)
    else:
        auction.cleared_at = now
        session.add(auction)
    job = repo.job(job_id)
    assert job is not None
    job.status = SUCCEEDED
    job.progress = 1.0
    job.finished_at = now
    job.result_hash = sequence_fingerprint([o.fingerprint() for o in outcomes])
    job.summary = json.dumps({o.class_auction_id: o.summary for o in outcomes}, sort_keys=True, default=str)
    job.log += f"{now.isoformat()} results stored; auction cleared\n"
    repo.save_job(job)
    record_audit(
        session,
        actor_of(job.requested_by_id),
        "clearing.run",
        {
            "auction_id": auction_id,
            "job_id": job_id,
            "bid_book_hash": auction.bid_book_hash,
            "input_hash": job.input_hash,
            "result_hash": job.result_hash,
            "results_hash": clearing_results_hash(session, auction_id),
        },
        at=now,
    )


def run_clearing_job(
    engine: Engine, clock: Clock, job_id: int, *, clear: Callable[[ClassSnapshot], ClassOutcome] = clear_class
) -> None:
    """The worker side of a clearing job; never raises (a failure is recorded on the job)."""
    started = time.monotonic()
    try:
        with transaction(engine) as session:
            job = session.get(ClearingJob, job_id)
            if job is None or job.status != QUEUED:
                return
            job.status = RUNNING
            job.started_at = clock.now()
            session.add(job)
        _log(engine, clock, job_id, "snapshot of bids, offers, holdings and network", 0.05)
        auction_id, snapshots = _snapshot(engine, job_id)
        input_hash = sequence_fingerprint([s.fingerprint() for s in snapshots])
        with transaction(engine) as session:
            job = session.get(ClearingJob, job_id)
            assert job is not None
            job.input_hash = input_hash
            session.add(job)
        outcomes = []
        for i, snapshot in enumerate(snapshots):
            _log(
                engine,
                clock,
                job_id,
                f"clearing {snapshot.period_class}: {len(snapshot.orders)} orders",
                0.1 + 0.8 * i / max(len(snapshots), 1),
            )
            outcome = clear(snapshot)
            if not outcome.ok:
                raise RuntimeError(
                    f"{snapshot.period_class} auction not cleared: {outcome.status} ({outcome.termination})"
                )
            awarded = sum(1 for f in outcome.fills if f.cleared_mw_tenths > 0)
            _log(
                engine,
                clock,
                job_id,
                f"{snapshot.period_class}: {awarded} orders awarded, "
                f"{len(outcome.binding)} binding constraints ({time.monotonic() - started:.2f} s)",
            )
            outcomes.append(outcome)
        with transaction(engine) as session:
            store_outcomes(session, job_id, auction_id, outcomes, clock.now())
    except Exception as exc:  # recorded on the job: the worker must never die silently
        logger.exception("clearing job %s failed", job_id)
        record_failure(engine, ClearingJob, job_id, clock, exc)


def recover_interrupted_jobs(engine: Engine, clock: Clock) -> int:
    """Mark jobs a dead process left queued or running as failed (their results were never stored)."""
    with transaction(engine) as session:
        return mark_interrupted(session, ClearingJob, clock)
