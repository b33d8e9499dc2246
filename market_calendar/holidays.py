"""NERC holidays: the days whose every hour is off-peak (OA 7.3.4 "holidays as defined in the PJM Manuals").

The calendar is the NERC off-peak holiday list:

- New Year's Day (1 January), Independence Day (4 July), Christmas Day (25 December): fixed dates;
- Memorial Day (last Monday of May), Labor Day (first Monday of September), Thanksgiving Day (fourth
  Thursday of November): always on a weekday.

A fixed-date holiday that falls on a **Sunday is observed on the following Monday** (the Monday is the
holiday). One that falls on a Saturday is **not** moved: Saturday is off-peak anyway and the Friday
before stays an on-peak day. Only the observed date is in the set (a Sunday 25 December is off-peak
as a Sunday; 26 December is the holiday).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

_SUNDAY = 6
_MONDAY = 0
_THURSDAY = 3


def _observed(day: date) -> date:
    return day + timedelta(days=1) if day.weekday() == _SUNDAY else day


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=256)
def nerc_holidays(year: int) -> frozenset[date]:
    """The six NERC holidays of ``year`` as observed dates (Sunday holidays moved to Monday).

    >>> sorted(nerc_holidays(2023))[-1]   # Christmas 2023 is a Monday
    datetime.date(2023, 12, 25)
    >>> date(2022, 12, 26) in nerc_holidays(2022)   # Christmas 2022 fell on a Sunday
    True
    """
    return frozenset(
        {
            _observed(date(year, 1, 1)),
            _last_weekday(year, 5, _MONDAY),
            _observed(date(year, 7, 4)),
            _nth_weekday(year, 9, _MONDAY, 1),
            _nth_weekday(year, 11, _THURSDAY, 4),
            _observed(date(year, 12, 25)),
        }
    )


def is_nerc_holiday(day: date) -> bool:
    """True when ``day`` is an observed NERC holiday."""
    return day in nerc_holidays(day.year)
