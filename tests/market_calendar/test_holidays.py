from __future__ import annotations

from datetime import date

import pytest

from market_calendar import is_nerc_holiday, nerc_holidays


class TestNercHolidays:
    def test_2026_calendar(self) -> None:
        assert nerc_holidays(2026) == frozenset(
            {
                date(2026, 1, 1),  # Thursday
                date(2026, 5, 25),  # last Monday of May
                date(2026, 7, 4),  # Saturday: not moved
                date(2026, 9, 7),  # first Monday of September
                date(2026, 11, 26),  # fourth Thursday of November
                date(2026, 12, 25),  # Friday
            }
        )

    @pytest.mark.parametrize(
        ("sunday", "observed"),
        [
            (date(2021, 7, 4), date(2021, 7, 5)),
            (date(2022, 12, 25), date(2022, 12, 26)),
            (date(2023, 1, 1), date(2023, 1, 2)),
        ],
    )
    def test_sunday_holiday_moves_to_monday(self, sunday: date, observed: date) -> None:
        assert sunday.weekday() == 6
        assert observed in nerc_holidays(observed.year)
        assert sunday not in nerc_holidays(sunday.year)

    def test_saturday_holiday_is_not_moved(self) -> None:
        # 1 January 2022 was a Saturday: neither 31 December 2021 nor 3 January 2022 is a holiday.
        assert date(2022, 1, 1) in nerc_holidays(2022)
        assert not is_nerc_holiday(date(2021, 12, 31))
        assert not is_nerc_holiday(date(2022, 1, 3))

    @pytest.mark.parametrize("year", range(2000, 2041))
    def test_six_distinct_holidays_rules(self, year: int) -> None:
        days = nerc_holidays(year)
        assert len(days) == 6
        assert all(d.year == year for d in days)
        assert all(d.weekday() != 6 for d in days)
        memorial = next(d for d in days if d.month == 5)
        assert memorial.weekday() == 0 and memorial.day > 24
        labor = next(d for d in days if d.month == 9)
        assert labor.weekday() == 0 and labor.day <= 7
        thanks = next(d for d in days if d.month == 11)
        assert thanks.weekday() == 3 and 22 <= thanks.day <= 28
