"""Market clock readings -> wire types."""

from __future__ import annotations

from api_schemas.market_clock import MarketClockPublic
from app.market_clock.service import ClockReading


def market_clock_public(reading: ClockReading) -> MarketClockPublic:
    return MarketClockPublic(
        now=reading.now, offset_seconds=reading.offset.total_seconds(), movable=reading.movable
    )
