"""Business days: Monday to Friday except NERC holidays (the calendar of :mod:`market_calendar.holidays`).

OA 7.1.2 counts business days "preceding the month"; this package uses the same holiday calendar as the
on-peak definition (OA 7.3.4) so that one calendar governs both.
"""

from __future__ import annotations

from datetime import date, timedelta

from market_calendar.holidays import is_nerc_holiday

_SATURDAY = 5


def is_business_day(day: date) -> bool:
    """True for a Monday-Friday that is not a NERC holiday."""
    return day.weekday() < _SATURDAY and not is_nerc_holiday(day)


def business_days_before(month_first_day: date, n: int) -> date:
    """The ``n``-th business day preceding ``month_first_day`` (n >= 1; the 1st is the last one before it).

    ``month_first_day`` itself is never counted. Example: for June 2026 (1 June is a Monday) the 1st
    business day before is Friday 29 May 2026, the 10th is Friday 15 May, the 15th is Friday 8 May
    (Memorial Day, Monday 25 May, is skipped).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    day = month_first_day
    found = 0
    while found < n:
        day -= timedelta(days=1)
        if is_business_day(day):
            found += 1
    return day


def business_days_from(day: date, n: int) -> date:
    """The ``n``-th business day counted from ``day`` itself (n >= 1; the 1st is ``day`` if it is one).

    Example: from Thursday 24 December 2026 the 1st is that Thursday, the 2nd Monday 28 December
    (Christmas, Friday 25, is a holiday; the weekend is skipped).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    found = 0
    while True:
        if is_business_day(day):
            found += 1
            if found == n:
                return day
        day += timedelta(days=1)
