"""Delivery months and hour-ending instants for the holdings ledger.

An FTR is held for a calendar month in Eastern Prevailing Time (OA 7.1.3). Hours are named by
their *hour-ending* instant, stored timezone-aware in UTC. The month's first hour ends at
01:00 EPT on the 1st; its last hour ends at 00:00 EPT on the 1st of the next month. Midnight
is never inside a daylight-saving change in the United States, so both ends are unambiguous
and computed from local midnight; March has one hour fewer than its days x 24, November one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

EPT = ZoneInfo("America/New_York")
ONE_HOUR = timedelta(hours=1)


def check_hour_ending(instant: datetime, what: str = "hour_ending") -> datetime:
    """Return ``instant`` in UTC after checking it is timezone-aware and on a whole hour.

    EPT offsets are whole hours, so an EPT hour boundary is a whole UTC hour.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} {instant!r} is naive: give a timezone-aware instant")
    utc = instant.astimezone(UTC)
    if utc.minute or utc.second or utc.microsecond:
        raise ValueError(f"{what} {instant.isoformat()} is not on a whole hour")
    return utc


@dataclass(frozen=True, slots=True, order=True)
class DeliveryMonth:
    """A calendar month in EPT for which FTRs are held (OA 7.1.3)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not in 1..12")
        if not 1900 <= self.year <= 9998:
            raise ValueError(f"year {self.year} is out of range")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, text: str) -> DeliveryMonth:
        """``"2026-07"`` -> ``DeliveryMonth(2026, 7)``."""
        parts = text.split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"month {text!r} is not YYYY-MM")
        return cls(int(parts[0]), int(parts[1]))

    def next(self) -> DeliveryMonth:
        return DeliveryMonth(self.year + self.month // 12, self.month % 12 + 1)

    def start(self) -> datetime:
        """00:00 EPT on the 1st, in UTC: the instant the month's first hour begins."""
        return datetime(self.year, self.month, 1, tzinfo=EPT).astimezone(UTC)

    def first_hour_ending(self) -> datetime:
        """Hour-ending instant of the month's first hour (01:00 EPT on the 1st), in UTC."""
        return self.start() + ONE_HOUR

    def last_hour_ending(self) -> datetime:
        """Hour-ending instant of the month's last hour (00:00 EPT on the next 1st), in UTC."""
        return self.next().start()

    def n_hours(self) -> int:
        """Hours in the month, counted in UTC so DST days count right (March 743, November 721)."""
        return int((self.last_hour_ending() - self.start()) / ONE_HOUR)

    def contains(self, hour_ending: datetime) -> bool:
        utc = check_hour_ending(hour_ending)
        return self.first_hour_ending() <= utc <= self.last_hour_ending()

    @classmethod
    def of_hour(cls, hour_ending: datetime) -> DeliveryMonth:
        """The month an hour belongs to: the EPT month of the instant the hour *begins*."""
        begins = (check_hour_ending(hour_ending) - ONE_HOUR).astimezone(EPT)
        return cls(begins.year, begins.month)
