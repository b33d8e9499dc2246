"""The posting deadline of an auction's results (OA 7.3.7: "within two Business Days")."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from market_calendar.business_days import business_days_from
from market_calendar.eastern_time import EPT, ept_midnight_utc

POSTING_BUSINESS_DAYS = 2


def posting_deadline(closes_at: datetime) -> datetime:
    """The instant (UTC) by which results of a window closing at ``closes_at`` must be posted.

    OA 7.3.7 posts results within two business days of the close. The business days counted are the
    first two EPT business days (Monday-Friday, not a NERC holiday, :mod:`market_calendar.holidays`)
    that begin at or after the close; the deadline is the end (24:00 EPT) of the second. A window
    closes at 00:00 EPT at the start of a business day D (OA 7.1.2), so D counts: a Thursday close is
    due by Friday 24:00, a Friday close by Monday 24:00, and a close the day before Thanksgiving by
    the Friday after it.
    """
    if closes_at.tzinfo is None:
        raise ValueError("closes_at must be timezone-aware")
    local = closes_at.astimezone(EPT)
    first = local.date() if local.time() == time(0) else local.date() + timedelta(days=1)
    last = business_days_from(first, POSTING_BUSINESS_DAYS)
    return ept_midnight_utc(last + timedelta(days=1))
