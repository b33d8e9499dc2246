"""Reading and moving the market clock (non-production deployments only; every move audited).

The market clock is the system clock plus a stored offset (:class:`app.clock.MovableClock`). The OI
moves it forward only: to an instant (``to``) or by a duration (``advance``). Moving it back would
reopen windows whose bid books are sealed and un-settle months, so it is refused; a deployment
that needs an earlier time starts from a new database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit.service import record_audit
from app.clock import Clock, MovableClock
from app.db import after_commit, transaction
from app.market_clock.errors import MarketClockBackwards, MarketClockFixed
from app.market_clock.repository import MarketClockRepository
from app.market_clock.tables import MarketClock

FIXED_REASON = (
    "the market clock of this deployment is the system clock (FTR_MARKET_CLOCK=system, the only "
    "choice in production); run with FTR_ENV=development or test and FTR_MARKET_CLOCK=movable to move it"
)


@dataclass(frozen=True, slots=True)
class ClockReading:
    now: datetime
    offset: timedelta
    movable: bool


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class MarketClockService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = MarketClockRepository(session)

    def stored_offset(self) -> timedelta:
        row = self.repo.get()
        return timedelta(microseconds=row.offset_us) if row is not None else timedelta(0)

    def sync(self, clock: Clock) -> None:
        """Give a movable clock the stored offset (a no-op for any other clock)."""
        if isinstance(clock, MovableClock):
            clock.sync(self.stored_offset())

    def read(self, clock: Clock) -> ClockReading:
        movable = isinstance(clock, MovableClock)
        self.sync(clock)
        offset = clock.offset if isinstance(clock, MovableClock) else timedelta(0)
        return ClockReading(clock.now(), offset, movable)

    def move(
        self, clock: Clock, *, to: datetime | None = None, advance: timedelta | None = None, actor: str
    ) -> ClockReading:
        """Move the market clock forward to ``to`` or by ``advance`` (exactly one); audited."""
        if not isinstance(clock, MovableClock):
            raise MarketClockFixed(FIXED_REASON)
        if (to is None) == (advance is None):
            raise ValueError("give exactly one of to and advance")
        row = self.repo.lock()
        before = timedelta(microseconds=row.offset_us) if row is not None else timedelta(0)
        system_now = clock.base.now()
        current = system_now + before
        target = to if to is not None else current + (advance or timedelta(0))
        if target <= current:
            raise MarketClockBackwards(
                f"the market clock reads {current.isoformat()} and only moves forward; "
                f"{target.isoformat()} is not after it",
                extensions={"market_now": current.isoformat(), "requested": target.isoformat()},
            )
        offset = target - system_now
        if row is None:
            row = MarketClock(id=1, offset_us=0, moved_at=system_now)
        row.offset_us = _microseconds(offset)
        row.moved_at = system_now
        self.repo.save(row)
        record_audit(
            self.session,
            actor,
            "market_clock.moved",
            {"from": current, "to": target, "offset_us": row.offset_us},
            at=target,
        )
        after_commit(self.session, lambda: clock.sync(offset))
        return ClockReading(target, offset, True)


def sync_market_clock(engine: Engine, clock: Clock) -> None:
    """At start-up: give a movable clock the stored offset (background work reads it before any request)."""
    if isinstance(clock, MovableClock):
        with transaction(engine) as session:
            MarketClockService(session).sync(clock)
