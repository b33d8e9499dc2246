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

from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService, AuctionView
from app.audit.service import actor_of, record_audit
from app.clearing.results_seal import clearing_results_hash
from app.clearing.trades import cleared_trades
from app.errors import NotFound
from app.holdings.ledger_mapping import EntryContext
from app.holdings.service import HoldingService
from auction.holdings import auction_result_postings


def post_auction(
    session: Session, auction_id: int, now: datetime, *, posted_by: int | None = None
) -> AuctionView:
    auctions = AuctionRepository(session)
    auction = auctions.lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    service = AuctionService(session)
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
        },
        at=now,
    )
    return service.get_view(auction, now)
