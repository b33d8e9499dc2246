"""The bid book's seal (:func:`app.audit_chain.bid_book_hash`): made at window close, checked before clearing.

Closing a window is here (:func:`close_window`) because it seals the bids: the auctions do not import
the bids, the bids import the auctions, and this module both.

The book is every bid and offer of the auction, whatever its status, each as the record
``{id, participant_id, period_class, side, source, sink, hedge, mw_tenths, price_cents, status}``;
the context names the auction and its window. Any bid added, removed or changed after the close
(a direct database edit included) changes the hash, and clearing refuses to run on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.auctions.service import AuctionService, AuctionView
from app.auctions.tables import Auction
from app.audit.service import record_audit
from app.audit_chain import bid_book_hash, bid_book_matches
from app.bids.tables import Bid
from app.errors import BidBookAltered


def _book(session: Session, auction: Auction) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    assert auction.id is not None
    context = {"auction_id": auction.id, "opens_at": auction.opens_at, "closes_at": auction.closes_at}
    bids = session.exec(select(Bid).where(Bid.auction_id == auction.id).order_by(col(Bid.id))).all()
    records = [
        {
            "id": b.id,
            "participant_id": b.participant_id,
            "period_class": b.period_class,
            "side": b.side,
            "source": b.source,
            "sink": b.sink,
            "hedge": b.hedge,
            "mw_tenths": b.mw_tenths,
            "price_cents": b.price_cents,
            "status": b.status,
        }
        for b in bids
    ]
    return context, records


def seal_bid_book(session: Session, auction: Auction) -> str:
    """Hash the auction's bid book and store the seal on the (locked) auction row."""
    context, records = _book(session, auction)
    auction.bid_book_hash = bid_book_hash(context, records)
    session.add(auction)
    session.flush()
    return auction.bid_book_hash


def check_bid_book(session: Session, auction: Auction) -> list[dict[str, Any]]:
    """Refuse (409 ``bid-book-altered``) a bid book that is not the one sealed at window close; the
    book's records (every bid and offer of the auction, by id) when it is the one sealed."""
    if auction.bid_book_hash is None:
        raise BidBookAltered(f"auction {auction.id} has no bid-book seal: it was never closed")
    context, records = _book(session, auction)
    if not bid_book_matches(context, records, auction.bid_book_hash):
        raise BidBookAltered(
            f"the bid book of auction {auction.id} is not the one sealed at window close "
            f"(seal {auction.bid_book_hash[:12]}...): clearing refused",
            extensions={"sealed_hash": auction.bid_book_hash},
        )
    return records


def seal_and_record_close(session: Session, auction: Auction, now: datetime, actor: str) -> str:
    """Seal the bid book of a (locked) auction whose window has closed; audit the close."""
    seal = seal_bid_book(session, auction)
    record_audit(
        session,
        actor,
        "window.closed",
        {"auction_id": auction.id, "closes_at": auction.closes_at, "bid_book_hash": seal},
        at=now,
    )
    return seal


def close_window(session: Session, auction_id: int, now: datetime, *, actor: str = "system") -> AuctionView:
    """open -> closed, not before ``closes_at`` (OA 7.1.2): the book sealed, the close audited."""
    service = AuctionService(session)
    auction = service.begin_close(auction_id, now)
    seal_and_record_close(session, auction, now, actor)
    return service.save_view(auction, now)
