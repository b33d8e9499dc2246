"""Every auction against its OA 7.3.7 posting deadline at once: what the ``/metrics`` scrape reports.

:func:`posting_dues` lists the auctions whose window has closed and whose results are not posted
(stored ``open`` past ``closes_at``, ``closed`` or ``cleared``), each with the seconds left to its
deadline (negative once overdue) and its :class:`~app.auctions.lifecycle.PostingState`;
:func:`late_posting_count` counts the auctions posted after their deadline. Both are read from
the tables at the time asked, so every API process reports the same figures and a restart loses
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.auctions.lifecycle import AuctionStatus, PostingState, effective_status, posting_state
from app.auctions.tables import Auction
from market_calendar import posting_deadline

UNPOSTED = (AuctionStatus.OPEN.value, AuctionStatus.CLOSED.value, AuctionStatus.CLEARED.value)


@dataclass(frozen=True, slots=True)
class PostingDue:
    auction_id: int
    year: int
    month: int
    status: AuctionStatus
    deadline: datetime
    seconds_left: float
    state: PostingState


def posting_dues(session: Session, now: datetime) -> list[PostingDue]:
    """Closed auctions whose results are not posted yet, in auction id order."""
    rows = session.exec(
        select(Auction)
        .where(col(Auction.status).in_(UNPOSTED), col(Auction.closes_at) <= now)
        .order_by(col(Auction.id))
    ).all()
    dues = []
    for auction in rows:
        assert auction.id is not None
        status = effective_status(AuctionStatus(auction.status), auction.closes_at, now)
        deadline = posting_deadline(auction.closes_at)
        dues.append(
            PostingDue(
                auction.id,
                auction.year,
                auction.month,
                status,
                deadline,
                (deadline - now).total_seconds(),
                posting_state(status, auction.closes_at, deadline, None, now),
            )
        )
    return dues


def late_posting_count(session: Session) -> int:
    """Auctions posted after their posting deadline (each one has its ``late_reason`` audited)."""
    rows = session.exec(
        select(Auction.closes_at, Auction.posted_at).where(
            Auction.status == AuctionStatus.POSTED.value, col(Auction.posted_at).is_not(None)
        )
    ).all()
    return sum(
        1
        for closes_at, posted_at in rows
        if posted_at is not None and posted_at > posting_deadline(closes_at)
    )
