from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from market_calendar import bid_window, business_days_before, is_business_day


class TestBusinessDays:
    def test_weekend_and_holiday_are_not_business_days(self) -> None:
        assert is_business_day(date(2026, 5, 22))  # Friday
        assert not is_business_day(date(2026, 5, 23))  # Saturday
        assert not is_business_day(date(2026, 5, 24))  # Sunday
        assert not is_business_day(date(2026, 5, 25))  # Memorial Day
        assert is_business_day(date(2026, 5, 26))

    def test_counting_skips_memorial_day(self) -> None:
        # June 2026: 1 June is a Monday. Counting back: 29 May (1), 28 (2), 27 (3), 26 (4),
        # [25 Memorial Day, 24, 23 weekend], 22 (5), 21, 20, 19, 18 (9), 15 (10), 14, 13, 12, 11 (14), 8 (15).
        first = date(2026, 6, 1)
        assert business_days_before(first, 1) == date(2026, 5, 29)
        assert business_days_before(first, 5) == date(2026, 5, 22)
        assert business_days_before(first, 10) == date(2026, 5, 15)
        assert business_days_before(first, 15) == date(2026, 5, 8)

    def test_first_day_itself_is_not_counted(self) -> None:
        # 1 July 2026 is a Wednesday, a business day; the 1st business day before it is 30 June.
        assert business_days_before(date(2026, 7, 1), 1) == date(2026, 6, 30)

    def test_n_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="n must be >= 1"):
            business_days_before(date(2026, 7, 1), 0)


class TestBidWindow:
    def test_june_2026_in_daylight_time(self) -> None:
        # Opens 00:00 EDT 8 May 2026 (= 04:00 UTC), closes 00:00 EDT 15 May 2026.
        opens, closes = bid_window(2026, 6)
        assert opens == datetime(2026, 5, 8, 4, tzinfo=UTC)
        assert closes == datetime(2026, 5, 15, 4, tzinfo=UTC)

    def test_january_2026_skips_christmas(self) -> None:
        # Back from 1 Jan 2026: 31 Dec (1), 30, 29, [25 Christmas], 26 (4), 24, 23, 22, 19, 18 (9),
        # 17 (10), 16, 15, 12, 11 (14), 10 (15). EST = UTC-5.
        opens, closes = bid_window(2026, 1)
        assert opens == datetime(2025, 12, 10, 5, tzinfo=UTC)
        assert closes == datetime(2025, 12, 17, 5, tzinfo=UTC)

    def test_march_2026_presidents_day_is_a_business_day(self) -> None:
        # Presidents' Day (16 Feb 2026) is not a NERC holiday, so it counts: it is the 10th.
        opens, closes = bid_window(2026, 3)
        assert closes == datetime(2026, 2, 16, 5, tzinfo=UTC)
        assert opens == datetime(2026, 2, 9, 5, tzinfo=UTC)

    @pytest.mark.parametrize("month", range(1, 13))
    def test_window_is_one_business_week_and_before_month(self, month: int) -> None:
        opens, closes = bid_window(2027, month)
        assert opens.tzinfo is not None and closes.tzinfo is not None
        assert opens < closes < datetime(2027, month, 1, tzinfo=UTC)

    def test_bad_month(self) -> None:
        with pytest.raises(ValueError, match=r"month must be 1\.\.12"):
            bid_window(2026, 13)
