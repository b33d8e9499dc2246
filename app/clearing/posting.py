"""Posting (OA 7.3.7): the cleared auction becomes public and its awards become ledger entries.

The fills are the cleared trades of :mod:`auction.auction_settlement` (a bid's fill a ``BUY``, an
offer's a ``SELL``, at the path's clearing price); :func:`auction.holdings.auction_result_postings`
turns them into ``auction_award`` (+MW) and ``sale`` (-MW) entries from the month's first hour,
appended through the pure ledger in the same transaction as the move to ``posted`` and its
audit link. The FTR sold reverts to the offering holder after the period (OA 7.3.2) with no
entry of its own: the sale debits the auctioned month only.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus, effective_status, transition_refusal
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService, AuctionView
from app.audit.service import actor_of, record_audit
from app.bids.award_credit import hold_awards
from app.bids.repository import BidRepository
from app.clearing.results_seal import clearing_results_hash
from app.clearing.trades import cleared_trades
from app.errors import FieldError, InvalidStateTransition, NotFound, ValidationFailed
from app.holdings.ledger_mapping import EntryContext
from app.holdings.service import HoldingService
from auction.holdings import auction_result_postings
from market_calendar import posting_deadline


def post_auction(
    session: Session,
    auction_id: int,
    now: datetime,
    *,
    credit_floor_cents_per_mwh: int,
    posted_by: int | None = None,
    late_reason: str | None = None,
) -> AuctionView:
    """cleared -> posted. After the OA 7.3.7 deadline, ``late_reason`` is required and audited.

    The orders' credit is released and the awards' credit held from here on (:mod:`app.bids.award_credit`,
    with the floor ``credit_floor_cents_per_mwh`` in force now)."""
    auctions = AuctionRepository(session)
    auction = auctions.lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    stored = AuctionStatus(auction.status)
    if stored is not AuctionStatus.CLEARED:  # before anything is written: a second post hit a unique key
        raise InvalidStateTransition(
            transition_refusal(auction_id, stored, AuctionStatus.POSTED, auction.closes_at, now),
            extensions={"current_status": effective_status(stored, auction.closes_at, now).value},
        )
    deadline = posting_deadline(auction.closes_at)
    late = now > deadline
    if late and not (late_reason or "").strip():
        raise ValidationFailed(
            f"the results of auction {auction_id} were due by {deadline.isoformat()} (OA 7.3.7: two "
            f"business days from the window close); it is {now.isoformat()}: a late posting needs a "
            "late_reason, kept in the audit log",
            errors=[FieldError("body.late_reason", "required after the posting deadline")],
            extensions={"posting_deadline": deadline.isoformat(), "market_time": now.isoformat()},
        )
    service = AuctionService(session)
    # Orders hold credit until posting; from then on their awards hold it (docs/service.md).
    BidRepository(session).release_auction_credit(auction_id)
    hold_awards(session, auction_id, auction.year, auction.month, credit_floor_cents_per_mwh)
    service.mark(auction, AuctionStatus.POSTED, now)
    trades = cleared_trades(session, auction)
    postings = auction_result_postings(t.trade for t in trades)
    contexts = [EntryContext(t.price_cents, auction_id, t.bid_id) for t in trades]
    # Sellers' MW was reserved by their offers (checked under their lock): no lock needed here.
    rows = HoldingService(session).append(postings, now=now, contexts=contexts, lock_debited=False)
    record_audit(
        session,
        actor_of(posted_by) if posted_by is not None else "system",
        "auction.posted",
        {
            "auction_id": auction_id,
            "trades": len(trades),
            "ledger_entries": [r.id for r in rows],
            "results_hash": clearing_results_hash(session, auction_id),
            "posting_deadline": deadline,
            "late": late,
            **({"late_reason": late_reason.strip()} if late and late_reason else {}),
        },
        at=now,
    )
    return service.get_view(auction, now)
