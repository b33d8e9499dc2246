"""``/api/v1/market-clock``: the market time, and the OI's moves of it (non-production deployments)."""

from __future__ import annotations

from fastapi import APIRouter

from api_schemas.market_clock import MarketClockMove, MarketClockPublic
from app.audit.service import actor_of
from app.deps import ClockDep, CurrentParticipant, Operator, SessionDep
from app.market_clock.mapping import market_clock_public
from app.market_clock.service import MarketClockService

router = APIRouter(prefix="/api/v1/market-clock", tags=["market clock"])


@router.get("", response_model=MarketClockPublic)
def read_market_clock(caller: CurrentParticipant, session: SessionDep, clock: ClockDep) -> MarketClockPublic:
    """The market time every rule reads, and whether the OI may move it."""
    return market_clock_public(MarketClockService(session).read(clock))


@router.post("", response_model=MarketClockPublic)
def move_market_clock(
    body: MarketClockMove, caller: Operator, session: SessionDep, clock: ClockDep
) -> MarketClockPublic:
    """Move the market clock forward (audited). OI only; refused (409) where the clock is the system's."""
    reading = MarketClockService(session).move(
        clock, to=body.to, advance=body.advance, actor=actor_of(caller.participant_id)
    )
    return market_clock_public(reading)
