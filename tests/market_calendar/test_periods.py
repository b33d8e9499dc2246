from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market_calendar import (
    PeriodClass,
    hour_count,
    hours_in_month,
    is_on_peak,
    month_hour_index,
    month_of,
    on_peak_mask,
    period_class_of,
)

# Hand count for 2026: on-peak = 16 x (weekdays - weekday NERC holidays).
# Jan: 22 weekdays - New Year (Thu) = 21; Feb 20; Mar 22; Apr 22; May 21 - Memorial Day = 20;
# Jun 22; Jul 23 (4 July is a Saturday, not moved); Aug 21; Sep 22 - Labor Day = 21;
# Oct 22; Nov 21 - Thanksgiving = 20; Dec 23 - Christmas (Fri) = 22.
ON_PEAK_DAYS_2026 = (21, 20, 22, 22, 20, 22, 23, 21, 21, 22, 20, 22)
HOURS_2026 = (744, 672, 743, 720, 744, 720, 744, 744, 720, 744, 721, 744)


class TestHourCounts:
    @pytest.mark.parametrize("month", range(1, 13))
    def test_2026_by_month(self, month: int) -> None:
        on = hour_count(2026, month, PeriodClass.ON_PEAK)
        off = hour_count(2026, month, PeriodClass.OFF_PEAK)
        assert on == 16 * ON_PEAK_DAYS_2026[month - 1]
        assert hour_count(2026, month) == HOURS_2026[month - 1]
        assert on + off == HOURS_2026[month - 1]

    def test_2026_year_totals(self) -> None:
        on = sum(hour_count(2026, m, PeriodClass.ON_PEAK) for m in range(1, 13))
        total = sum(hour_count(2026, m) for m in range(1, 13))
        # 261 weekdays, 5 of them holidays (4 July is a Saturday).
        assert on == 16 * 256 == 4096
        assert total == 8760
        assert total - on == 4664

    def test_march_dst_month_has_743_hours(self) -> None:
        hours = hours_in_month(2026, 3)
        assert len(hours) == 743
        assert hours[0] == datetime(2026, 3, 1, 6, tzinfo=UTC)  # HE01 EST ends 01:00 EST = 06:00 UTC
        assert hours[-1] == datetime(2026, 4, 1, 4, tzinfo=UTC)  # HE24 EDT of 31 March
        assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(hours))

    def test_november_dst_month_has_721_and_holiday(self) -> None:
        assert hour_count(2026, 11) == 721
        assert hour_count(2026, 11, PeriodClass.ON_PEAK) == 320
        assert hour_count(2026, 11, PeriodClass.OFF_PEAK) == 401

    def test_july_2021_sunday_holiday_moved(self) -> None:
        # July 2021: 4 July is a Sunday, observed Monday 5 July. 22 weekdays - 1 = 21 on-peak days.
        assert hour_count(2021, 7, PeriodClass.ON_PEAK) == 21 * 16

    def test_classes_partition_the_month(self) -> None:
        on = set(hours_in_month(2024, 11, PeriodClass.ON_PEAK))
        off = set(hours_in_month(2024, 11, PeriodClass.OFF_PEAK))
        assert not on & off
        assert on | off == set(hours_in_month(2024, 11))
        assert all(h.tzinfo is not None and h.utcoffset() == timedelta(0) for h in on)


class TestIsOnPeak:
    @pytest.mark.parametrize(
        ("hour_ending", "expected"),
        [
            (datetime(2026, 1, 5, 12, tzinfo=UTC), False),  # Mon HE07 EST
            (datetime(2026, 1, 5, 13, tzinfo=UTC), True),  # Mon HE08 EST
            (datetime(2026, 1, 6, 4, tzinfo=UTC), True),  # Mon HE23 EST (ends 23:00 EST)
            (datetime(2026, 1, 6, 5, tzinfo=UTC), False),  # Mon HE24 EST
            (datetime(2026, 3, 9, 11, tzinfo=UTC), False),  # Mon after DST start: HE07 EDT
            (datetime(2026, 3, 9, 12, tzinfo=UTC), True),  # HE08 EDT
            (datetime(2026, 1, 3, 15, tzinfo=UTC), False),  # Saturday midday
            (datetime(2026, 5, 25, 16, tzinfo=UTC), False),  # Memorial Day midday
            (datetime(2026, 5, 26, 16, tzinfo=UTC), True),  # Tuesday after
        ],
    )
    def test_hand_checked_hours(self, hour_ending: datetime, expected: bool) -> None:
        assert is_on_peak(hour_ending) is expected
        cls = PeriodClass.ON_PEAK if expected else PeriodClass.OFF_PEAK
        assert period_class_of(hour_ending) == cls

    def test_offset_other_than_utc_is_accepted(self) -> None:
        from market_calendar import EPT

        assert is_on_peak(datetime(2026, 1, 5, 8, tzinfo=EPT))
        assert not is_on_peak(datetime(2026, 1, 5, 7, tzinfo=EPT))

    def test_naive_datetime_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="no time zone"):
            is_on_peak(datetime(2026, 1, 5, 13))

    def test_naive_index_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="no time zone"):
            on_peak_mask(pd.DatetimeIndex([datetime(2026, 1, 5, 13)]))

    @given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)))
    def test_vectorised_matches_scalar(self, naive: datetime) -> None:
        instant = naive.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
        mask = on_peak_mask(pd.DatetimeIndex([instant]))
        assert bool(mask[0]) is is_on_peak(instant)

    @settings(max_examples=30)
    @given(st.integers(2000, 2040), st.integers(1, 12))
    def test_on_plus_off_is_all_hours(self, year: int, month: int) -> None:
        total = hour_count(year, month)
        assert (
            hour_count(year, month, PeriodClass.ON_PEAK) + hour_count(year, month, PeriodClass.OFF_PEAK)
            == total
        )
        assert len(month_hour_index(year, month)) == total


class TestMonthOf:
    def test_he24_belongs_to_the_ending_day_and_month(self) -> None:
        # 00:00 EST on 1 Feb 2026 (05:00 UTC) ends HE24 of 31 January.
        assert month_of(datetime(2026, 2, 1, 5, tzinfo=UTC)) == (2026, 1)
        assert month_of(datetime(2026, 2, 1, 6, tzinfo=UTC)) == (2026, 2)
