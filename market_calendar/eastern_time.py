"""Eastern Prevailing Time (EPT): the clock the OA's periods and deadlines are written in.

EPT is the civil time of America/New_York (EST, UTC-5, in winter; EDT, UTC-4, in summer). A calendar
month in EPT has 744 hours, one fewer (743) in the month daylight saving starts and one more (745) in
the month it ends; 672/696/720 likewise for shorter months. Every instant this package hands out is a
timezone-aware datetime in UTC; conversion to EPT happens only here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EPT = ZoneInfo("America/New_York")
"""Eastern Prevailing Time."""

ONE_HOUR = timedelta(hours=1)


def require_aware(instant: datetime, name: str = "instant") -> None:
    """Raise ``ValueError`` for a naive datetime: a wall-clock time without a zone is ambiguous in EPT."""
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ValueError(f"{name} {instant.isoformat()} has no time zone; give an offset (e.g. +00:00)")


def ept_midnight_utc(day: date) -> datetime:
    """00:00 EPT at the start of ``day``, as a UTC instant (midnight is never skipped or repeated in EPT)."""
    return datetime(day.year, day.month, day.day, tzinfo=EPT).astimezone(UTC)


def first_of_next_month(year: int, month: int) -> date:
    """The first day of the month after ``(year, month)``."""
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def check_month(year: int, month: int) -> None:
    """Raise ``ValueError`` for a month number outside 1..12 or a year outside 1900..2999."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if not 1900 <= year <= 2999:
        raise ValueError(f"year must be 1900..2999, got {year}")
