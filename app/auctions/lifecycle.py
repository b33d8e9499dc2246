"""The auction lifecycle: draft -> open -> closed -> cleared -> posted (OA 7.1.2, 7.3.6, 7.3.7).

The server clock decides the window: bids and offers are accepted while the stored status is
``open`` and ``opens_at <= now < closes_at``. The boundary instant ``closes_at`` (00:00 EPT of the
10th business day before the month) belongs to the closed side: a bid whose transaction reads the
clock at or after it is refused. An ``open`` auction whose window has passed *is* closed (its
effective status says so) even before the OI records the close.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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


class AuctionAction(StrEnum):
    """What may be done to an auction (by the OI, or ``bid`` by participants)."""

    OPEN = "open"
    BID = "bid"
    CLOSE = "close"
    CLEAR = "clear"
    POST = "post"


def allowed_actions(
    stored: AuctionStatus, opens_at: datetime, closes_at: datetime, now: datetime
) -> tuple[AuctionAction, ...]:
    """What the market clock allows at ``now``.

    A draft may be opened until its window closes; an opened auction takes bids only from
    ``opens_at`` (opening it earlier is allowed, bids wait for the window) until ``closes_at``, and
    may be closed from ``closes_at`` on; a closed auction is cleared; a cleared one is posted (or
    cleared again); a posted one is final.
    """
    if stored is AuctionStatus.DRAFT:
        return (AuctionAction.OPEN,) if now < closes_at else ()
    if stored is AuctionStatus.OPEN:
        if now < opens_at:
            return ()
        return (AuctionAction.BID,) if now < closes_at else (AuctionAction.CLOSE,)
    if stored is AuctionStatus.CLOSED:
        return (AuctionAction.CLEAR,)
    if stored is AuctionStatus.CLEARED:
        return (AuctionAction.POST,)
    return ()


def next_change_at(
    stored: AuctionStatus, opens_at: datetime, closes_at: datetime, now: datetime
) -> datetime | None:
    """When the clock alone next changes what is allowed (bids open, the window closes), if ever."""
    if stored in (AuctionStatus.DRAFT, AuctionStatus.OPEN):
        if stored is AuctionStatus.OPEN and now < opens_at:
            return opens_at
        if now < closes_at:
            return closes_at
    return None


def bid_refusal(
    auction_id: int, stored: AuctionStatus, opens_at: datetime, closes_at: datetime, now: datetime
) -> str:
    """Why auction ``auction_id`` takes no bid at ``now``, and when it does (or did)."""
    window = f"bids are taken from {opens_at.isoformat()} to {closes_at.isoformat()}"
    clock = f"market clock {now.isoformat()}"
    if stored is AuctionStatus.DRAFT:
        return (
            f"auction {auction_id} is a draft ({clock}): the OI has not opened it; {window} once it is opened"
        )
    if stored is AuctionStatus.OPEN and now < opens_at:
        return f"auction {auction_id} is open but bids open at {opens_at.isoformat()} ({clock}); {window}"
    if stored is AuctionStatus.OPEN:
        return f"the bid window of auction {auction_id} closed at {closes_at.isoformat()} ({clock})"
    return f"auction {auction_id} is {stored.value} ({clock}): {window}, and its window is over"


def close_refusal(auction_id: int, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """Why an open auction cannot be closed at ``now`` (before ``closes_at``, OA 7.1.2)."""
    clock = f"market clock {now.isoformat()}"
    if now < opens_at:
        return (
            f"auction {auction_id} can be closed from {closes_at.isoformat()} on ({clock}); "
            f"bids open at {opens_at.isoformat()}"
        )
    return (
        f"auction {auction_id} takes bids until {closes_at.isoformat()} and can be closed from then on "
        f"({clock})"
    )


class PostingState(StrEnum):
    """Where an auction stands against its OA 7.3.7 posting deadline."""

    PENDING = "pending"  # the window has not closed: nothing is due yet
    DUE = "due"  # closed, results due by the deadline
    DUE_SOON = "due_soon"  # less than :data:`POSTING_WARNING` left
    OVERDUE = "overdue"  # the deadline passed and nothing is posted
    POSTED_ON_TIME = "posted_on_time"
    POSTED_LATE = "posted_late"


POSTING_WARNING = timedelta(hours=24)
"""How long before the deadline the OI is warned (API field ``posting_state``, a warning log)."""


def posting_state(
    status: AuctionStatus, closes_at: datetime, deadline: datetime, posted_at: datetime | None, now: datetime
) -> PostingState:
    """The posting state at ``now`` of an auction in effective ``status``."""
    if status is AuctionStatus.POSTED:
        late = posted_at is not None and posted_at > deadline
        return PostingState.POSTED_LATE if late else PostingState.POSTED_ON_TIME
    if status in (AuctionStatus.DRAFT, AuctionStatus.OPEN) or now < closes_at:
        return PostingState.PENDING
    if now > deadline:
        return PostingState.OVERDUE
    return PostingState.DUE_SOON if deadline - now <= POSTING_WARNING else PostingState.DUE


def transition_refusal(
    auction_id: int, stored: AuctionStatus, target: AuctionStatus, closes_at: datetime, now: datetime
) -> str:
    """Why auction ``auction_id`` cannot move to ``target`` at ``now``, and what it waits for instead.

    Named by its effective status (an open auction is ``closed`` from ``closes_at`` on, as the API
    shows it), so the message never contradicts the auction's own ``status``.
    """
    status = effective_status(stored, closes_at, now)
    clock = f"market clock {now.isoformat()}"
    name = f"auction {auction_id}"
    if status is target or (target is AuctionStatus.CLOSED and status is AuctionStatus.CLOSED):
        return f"{name} is already {status.value}"
    if status is AuctionStatus.POSTED:
        return f"{name} is posted: its results are final and it changes no more"
    if target is AuctionStatus.OPEN:
        return f"{name} is {status.value}: only a draft auction is opened, before its window closes"
    if target is AuctionStatus.CLOSED:
        if status is AuctionStatus.DRAFT:
            return (
                f"{name} is a draft ({clock}): the OI opens it first; it can be closed from "
                f"{closes_at.isoformat()} on"
            )
        return f"{name} is {status.value}: it closed at {closes_at.isoformat()}"
    if target is AuctionStatus.CLEARED:
        if status is AuctionStatus.DRAFT:
            return (
                f"{name} is a draft ({clock}): the OI opens it, it takes bids until "
                f"{closes_at.isoformat()} and can be cleared from then on"
            )
        return f"{name} takes bids until {closes_at.isoformat()} ({clock}): it can be cleared from then on"
    if target is AuctionStatus.POSTED:
        if status is AuctionStatus.CLOSED:
            return f"{name} is closed but not cleared: results are posted once a clearing has succeeded"
        if status is AuctionStatus.DRAFT:
            return (
                f"{name} is a draft ({clock}): results are posted once it has been opened, closed and cleared"
            )
        return (
            f"{name} takes bids until {closes_at.isoformat()} ({clock}): results are posted once it has "
            "closed and been cleared"
        )
    return f"{name} is {status.value}; it cannot become {target.value}"
