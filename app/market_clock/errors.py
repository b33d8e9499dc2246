"""Market clock errors (subclasses of :mod:`app.errors`, so they become RFC 9457 problems).

Conflict (409)
└── MarketClockFixed        this deployment's market clock is the system clock (production, or
                            ``FTR_MARKET_CLOCK=system``): it is never moved
Unprocessable (422)
└── MarketClockBackwards    the market clock only moves forward
"""

from __future__ import annotations

from app.errors import Conflict, Unprocessable


class MarketClockFixed(Conflict):
    slug = "market-clock-fixed"
    title = "The market clock of this deployment cannot be moved"


class MarketClockBackwards(Unprocessable):
    slug = "market-clock-backwards"
    title = "The market clock only moves forward"
