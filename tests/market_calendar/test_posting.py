"""The OA 7.3.7 posting deadline: two EPT business days from the close, around weekends and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from market_calendar import EPT, bid_window, business_days_from, is_business_day, posting_deadline
from market_calendar.eastern_time import ept_midnight_utc


@pytest.mark.parametrize(
    ("closes", "deadline_utc", "why"),
    [
        (
            date(2026, 12, 16),
            datetime(2026, 12, 18, 5, tzinfo=UTC),
            "Wed close: Wed, Thu -> Fri 00:00 EST",
        ),
        (
            date(2026, 12, 17),
            datetime(2026, 12, 19, 5, tzinfo=UTC),
            "Thu close: Thu, Fri -> Sat 00:00 EST",
        ),
        (
            date(2026, 12, 18),
            datetime(2026, 12, 22, 5, tzinfo=UTC),
            "Fri close: Fri, Mon -> Tue 00:00 EST",
        ),
        (date(2026, 12, 24), datetime(2026, 12, 29, 5, tzinfo=UTC), "Christmas Friday skipped: Thu, Mon"),
        (date(2026, 11, 25), datetime(2026, 11, 28, 5, tzinfo=UTC), "Thanksgiving skipped: Wed, Fri"),
        (date(2027, 3, 12), datetime(2027, 3, 16, 4, tzinfo=UTC), "DST begins Sunday: due Tue 00:00 EDT"),
        (date(2026, 12, 19), datetime(2026, 12, 23, 5, tzinfo=UTC), "Saturday instant: Mon, Tue count"),
    ],
)
def test_deadline(closes: date, deadline_utc: datetime, why: str) -> None:
    assert posting_deadline(ept_midnight_utc(closes)) == deadline_utc, why


def test_a_close_during_a_day_counts_from_the_next_day() -> None:
    thursday_noon = datetime(2026, 12, 17, 17, tzinfo=UTC)
    assert posting_deadline(thursday_noon) == datetime(2026, 12, 22, 5, tzinfo=UTC)


def test_every_auction_of_2027_gets_exactly_two_business_days() -> None:
    for month in range(1, 13):
        _, closes_at = bid_window(2027, month)
        deadline = posting_deadline(closes_at).astimezone(EPT)
        assert deadline.hour == 0 and deadline.minute == 0, "due at an EPT midnight"
        start = closes_at.astimezone(EPT).date()
        days = [date.fromordinal(d) for d in range(start.toordinal(), deadline.date().toordinal())]
        assert sum(is_business_day(d) for d in days) == 2, month
        assert is_business_day(days[-1]), "the deadline ends a business day"


def test_business_days_from_counts_the_day_itself() -> None:
    assert business_days_from(date(2026, 12, 24), 1) == date(2026, 12, 24)
    assert business_days_from(date(2026, 12, 24), 2) == date(2026, 12, 28)
    assert business_days_from(date(2026, 12, 26), 1) == date(2026, 12, 28)
    with pytest.raises(ValueError):
        business_days_from(date(2026, 12, 24), 0)


def test_naive_close_refused() -> None:
    with pytest.raises(ValueError):
        posting_deadline(datetime(2026, 12, 17))
