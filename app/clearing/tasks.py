"""The clearing task: snapshot the inputs, clear each class auction, store everything at once.

    clear_auction (task)   snapshot -> clear on-peak, off-peak, independently (a progress point
                           before and after each class) -> ONE transaction: replace results,
                           auction ``cleared``, job ``succeeded`` (:func:`app.jobs.runner.finish`)

The engine works outside any transaction (a long solve holds no lock). The results, the auction's
move to ``cleared`` and the job's success commit together or not at all; a failure or a cancellation
at any point leaves the auction ``closed`` with no results, and a new job can run. Re-running a
``cleared`` (not yet posted) auction replaces its results; the same inputs give identical results,
which the job records as ``input_hash`` and ``result_hash``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService
from app.auctions.tables import Auction
from app.audit.service import actor_of, record_audit
from app.bid_book import check_bid_book
from app.bids.repository import ACTIVE, BidRepository
from app.clearing.engine import (
    ClassOutcome,
    ClassSnapshot,
    HoldingRow,
    OrderRow,
    clear_class,
    sequence_fingerprint,
)
from app.clearing.repository import ClearingRepository
from app.clearing.results_seal import StoredRows, clearing_results_hash
from app.clearing.tables import BindingConstraint
from app.db import transaction
from app.errors import InvalidStateTransition
from app.holdings.repository import HoldingRepository
from app.jobs import JobContext, JobKind, finish, task
from app.jobs.isolation import call as run_solver
from app.jobs.repository import JobRepository
from app.networks.tables import NetworkVersion
from feasibility.progress import ProgressEvent, format_event

RERUNNABLE = (AuctionStatus.CLOSED, AuctionStatus.CLEARED)

Clear = Callable[[ClassSnapshot], ClassOutcome]


def snapshot(engine: Engine, job_id: int) -> tuple[int, list[ClassSnapshot]]:
    """The auction's stored inputs, one snapshot per class auction, read in one transaction."""
    with transaction(engine) as session:
        job = JobRepository(session).get(job_id, JobKind.CLEARING)
        assert job is not None and job.auction_id is not None
        auction = AuctionRepository(session).get(job.auction_id)
        assert auction is not None and auction.id is not None
        book = check_bid_book(session, auction)  # the sealed book, read once: the orders come from it
        return auction.id, class_snapshots(session, auction, book=book)


def class_snapshots(
    session: Session,
    auction: Auction,
    *,
    book: list[dict[str, Any]] | None = None,
    holdings_before: datetime | None = None,
) -> list[ClassSnapshot]:
    """The auction's stored clearing inputs, one snapshot per class auction (the clearing job's and
    the auditor's LP export's, :mod:`app.clearing.lp_export`, which counts only the FTRs held
    recorded before ``holdings_before``). ``book``: the records :func:`app.bid_book.check_bid_book`
    returned (the clearing job has just read and checked them); without it the active orders are read."""
    version = session.get(NetworkVersion, auction.network_version_id)
    assert version is not None
    outages = tuple(json.loads(auction.scheduled_outages))
    loop_flow = tuple(sorted(json.loads(auction.loop_flow).items()))
    snapshots = []
    assert auction.id is not None
    for cls in AuctionRepository(session).classes(auction.id):
        assert cls.id is not None
        if book is None:
            orders = tuple(
                OrderRow(
                    b.id, b.participant_id, b.side, b.source, b.sink, b.hedge, b.mw_tenths, b.price_cents
                )
                for b in BidRepository(session).active_in_class(cls.id)
                if b.id is not None
            )
        else:
            orders = tuple(
                OrderRow(
                    b["id"],
                    b["participant_id"],
                    b["side"],
                    b["source"],
                    b["sink"],
                    b["hedge"],
                    b["mw_tenths"],
                    b["price_cents"],
                )
                for b in book
                if b["status"] == ACTIVE and b["period_class"] == cls.period_class
            )
        holdings = tuple(
            HoldingRow(h.holder_id, h.source, h.sink, h.mw_tenths, h.hedge)
            for h in HoldingRepository(session).for_period(auction.year, auction.month, cls.period_class)
            if holdings_before is None or h.created_at < holdings_before
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
    return snapshots


def store_outcomes(
    session: Session, ctx: JobContext, auction_id: int, outcomes: list[ClassOutcome], now: datetime
) -> None:
    """Replace the auction's results, mark it cleared and the job succeeded, in the caller's
    (single) transaction; a job cancelled meanwhile rolls all of it back."""
    auction = AuctionRepository(session).lock(auction_id)
    assert auction is not None
    if AuctionStatus(auction.status) not in RERUNNABLE:
        raise InvalidStateTransition(f"auction {auction_id} became {auction.status} while clearing")
    repo = ClearingRepository(session)
    repo.clear_results([o.class_auction_id for o in outcomes])
    written: dict[int, StoredRows] = {}
    for outcome in outcomes:
        cid = outcome.class_auction_id
        fills = [(f.bid_id, f.cleared_mw_tenths, f.clearing_price_cents) for f in outcome.fills]
        repo.add_fills(cid, fills)
        repo.add_nodal_prices(cid, outcome.nodal_prices_cents)
        written[cid] = (fills, outcome.nodal_prices_cents)
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
    job = finish(
        session,
        ctx,
        now,
        "results stored; auction cleared",
        result_hash=sequence_fingerprint([o.fingerprint() for o in outcomes]),
        result=json.dumps({o.class_auction_id: o.summary for o in outcomes}, sort_keys=True, default=str),
    )
    record_audit(
        session,
        actor_of(job.requested_by_id),
        "clearing.run",
        {
            "auction_id": auction_id,
            "job_id": ctx.job_id,
            "bid_book_hash": auction.bid_book_hash,
            "input_hash": job.input_hash,
            "result_hash": job.result_hash,
            "results_hash": clearing_results_hash(session, auction_id, written),
        },
        at=now,
    )


def clear_snapshots(ctx: JobContext, snapshots: list[ClassSnapshot], clear: Clear) -> list[ClassOutcome]:
    """Clear each class auction independently, with a progress point before and after each."""
    outcomes = []
    for i, snap in enumerate(snapshots):
        ctx.progress(
            f"solve {snap.period_class}",
            round=0,
            rows=len(snap.orders),
            fraction=0.1 + 0.8 * i / max(len(snapshots), 1),
            line=f"clearing {snap.period_class}: {len(snap.orders)} orders",
        )
        outcome = clear(snap)
        if not outcome.ok:
            raise RuntimeError(
                f"{snap.period_class} auction not cleared: {outcome.status} ({outcome.termination})"
            )
        awarded = sum(1 for f in outcome.fills if f.cleared_mw_tenths > 0)
        ctx.progress(
            f"solved {snap.period_class}",
            fraction=0.1 + 0.8 * (i + 1) / max(len(snapshots), 1),
            line=f"{snap.period_class}: {awarded} orders awarded, "
            f"{len(outcome.binding)} binding constraints ({ctx.elapsed_s():.2f} s)",
        )
        outcomes.append(outcome)
    return outcomes


def _engine_clear(ctx: JobContext) -> Clear:
    """The engine's clearing, its rounds written to the job's progress (a cancel stops it between
    rounds). On a queue worker the solve runs in a child process (:mod:`app.jobs.isolation`), so the
    worker's heartbeat is never starved by a solver holding the interpreter lock."""

    def clear(snap: ClassSnapshot) -> ClassOutcome:
        def report(event: ProgressEvent) -> None:
            ctx.progress(
                f"{snap.period_class} {event.phase}",
                round=event.round,
                rows=event.rows_in_lp,
                line=f"{snap.period_class} {format_event(event)}",
            )

        return run_solver(clear_class, snap, progress=report, isolate=ctx.isolate)

    return clear


@task(JobKind.CLEARING)
def clear_auction(ctx: JobContext, clear: Clear | None = None) -> None:
    """The clearing job: both class auctions of the job's auction, stored at once."""
    ctx.progress("snapshot", fraction=0.05, line="snapshot of bids, offers, holdings and network")
    auction_id, snapshots = snapshot(ctx.engine, ctx.job_id)
    ctx.update(input_hash=sequence_fingerprint([s.fingerprint() for s in snapshots]))
    outcomes = clear_snapshots(ctx, snapshots, clear if clear is not None else _engine_clear(ctx))
    ctx.progress("store", fraction=0.95)
    with transaction(ctx.engine) as session:
        store_outcomes(session, ctx, auction_id, outcomes, ctx.clock.now())
