"""The monthly auction's bid and offer window (OA 7.1.2)."""

from __future__ import annotations

from datetime import date, datetime

from market_calendar.business_days import business_days_before
from market_calendar.eastern_time import check_month, ept_midnight_utc

OPEN_BUSINESS_DAYS_BEFORE = 15
CLOSE_BUSINESS_DAYS_BEFORE = 10


def bid_window(year: int, month: int) -> tuple[datetime, datetime]:
    """``(opens_at, closes_at)`` of the auction for month ``(year, month)``, as timezone-aware UTC instants.

    OA 7.1.2: the period opens at 12:00 midnight EPT on the 15th business day preceding the month and
    closes at 12:00 midnight EPT on the 10th business day preceding it. "12:00 midnight on day D" is
    read as 00:00 EPT at the *start* of D. Bids are accepted for ``opens_at <= t < closes_at``.
    """
    check_month(year, month)
    first = date(year, month, 1)
    opens = ept_midnight_utc(business_days_before(first, OPEN_BUSINESS_DAYS_BEFORE))
    closes = ept_midnight_utc(business_days_before(first, CLOSE_BUSINESS_DAYS_BEFORE))
    return opens, closes
