"""Hourly load shaping: EPT hour-ending, day types, DST, seeded noise."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from simulation.load_profile import (
    DEFAULT_PROFILE,
    FLAT_PROFILE,
    LoadProfile,
    hour_beginning_ept,
    hourly_demand,
    shape_factor,
)

PEAK = np.array([100.0, 50.0, -10.0])


def test_hour_ending_maps_to_ept_hour_beginning() -> None:
    # 2026-07-01 12:00 UTC = 08:00 EDT: the hour ending then is HE08, beginning 07:00 EDT
    start = hour_beginning_ept(datetime(2026, 7, 1, 12, tzinfo=UTC))
    assert (start.hour, start.date()) == (7, date(2026, 7, 1))
    # HE24 of July 1 ends at 00:00 EDT July 2 = 04:00 UTC, and belongs to July 1
    start = hour_beginning_ept(datetime(2026, 7, 2, 4, tzinfo=UTC))
    assert (start.hour, start.date()) == (23, date(2026, 7, 1))


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        hour_beginning_ept(datetime(2026, 7, 1, 12))


def test_weekday_weekend_holiday_and_month_factors() -> None:
    wed = datetime(2026, 7, 1, 21, tzinfo=UTC)  # 17:00 EDT -> HE18, a Wednesday
    sat = datetime(2026, 7, 4, 21, tzinfo=UTC)
    assert shape_factor(DEFAULT_PROFILE, wed) == pytest.approx(1.00 * 1.00)
    assert shape_factor(DEFAULT_PROFILE, sat) == pytest.approx(0.88 * 1.00)
    assert shape_factor(DEFAULT_PROFILE, wed, holidays={date(2026, 7, 1)}) == pytest.approx(0.88)
    april = datetime(2026, 4, 1, 21, tzinfo=UTC)
    assert shape_factor(DEFAULT_PROFILE, april) == pytest.approx(0.78)


def test_dst_fall_back_repeated_hour_has_the_same_shape() -> None:
    # 2026-11-01: 01:00-02:00 EDT (05-06 UTC) and 01:00-02:00 EST (06-07 UTC) are both HE02
    first = datetime(2026, 11, 1, 6, tzinfo=UTC)
    second = datetime(2026, 11, 1, 7, tzinfo=UTC)
    assert hour_beginning_ept(first).hour == hour_beginning_ept(second).hour == 1
    assert shape_factor(DEFAULT_PROFILE, first) == shape_factor(DEFAULT_PROFILE, second)


def test_noise_is_seeded_by_seed_and_hour() -> None:
    hour = datetime(2026, 7, 1, 21, tzinfo=UTC)
    a = hourly_demand(PEAK, hour, DEFAULT_PROFILE, seed=7)
    b = hourly_demand(PEAK, hour, DEFAULT_PROFILE, seed=7)
    c = hourly_demand(PEAK, hour, DEFAULT_PROFILE, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a[2] < 0.0  # a fixed injection keeps its sign


def test_flat_profile_returns_the_case_load() -> None:
    hour = datetime(2026, 1, 3, 3, tzinfo=UTC)
    np.testing.assert_array_equal(hourly_demand(PEAK, hour, FLAT_PROFILE, seed=1), PEAK)


def test_bad_profile_is_rejected_with_its_name() -> None:
    with pytest.raises(ValueError, match="weekday"):
        LoadProfile(weekday=(1.0,) * 23)
