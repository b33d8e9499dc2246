"""The auction lifecycle: draft -> open -> closed -> cleared -> posted (OA 7.1.2, 7.3.6, 7.3.7).

The server clock decides the window: bids and offers are accepted while the stored status is
``open`` and ``opens_at <= now < closes_at``. The boundary instant ``closes_at`` (00:00 EPT of the
10th business day before the month) belongs to the closed side: a bid whose transaction reads the
clock at or after it is refused. An ``open`` auction whose window has passed *is* closed (its
effective status says so) even before the OI records the close.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class AuctionStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CLEARED = "cleared"
    POSTED = "posted"


ALLOWED_TRANSITIONS: dict[AuctionStatus, frozenset[AuctionStatus]] = {
    AuctionStatus.DRAFT: frozenset({AuctionStatus.OPEN}),
    AuctionStatus.OPEN: frozenset({AuctionStatus.CLOSED}),
    AuctionStatus.CLOSED: frozenset({AuctionStatus.CLEARED}),
    AuctionStatus.CLEARED: frozenset({AuctionStatus.POSTED}),
    AuctionStatus.POSTED: frozenset(),
}


def effective_status(stored: AuctionStatus, closes_at: datetime, now: datetime) -> AuctionStatus:
    """The status the clock implies: an ``open`` auction is ``closed`` from ``closes_at`` on."""
    if stored is AuctionStatus.OPEN and now >= closes_at:
        return AuctionStatus.CLOSED
    return stored


def window_is_open(stored: AuctionStatus, opens_at: datetime, closes_at: datetime, now: datetime) -> bool:
    """True when bids and offers are accepted: status ``open`` and ``opens_at <= now < closes_at``."""
    return stored is AuctionStatus.OPEN and opens_at <= now < closes_at
