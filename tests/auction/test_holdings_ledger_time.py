"""Delivery months in EPT: boundaries, hour counts around daylight saving, month of an hour."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction.ledger_time import DeliveryMonth, check_hour_ending
from market_calendar import hour_count, hours_in_month, month_of


class TestDeliveryMonth:
    def test_july_boundaries_in_utc(self) -> None:
        m = DeliveryMonth(2026, 7)
        # EDT is UTC-4: 01:00 EDT on 1 July is 05:00 UTC; 00:00 EDT on 1 August is 04:00 UTC.
        assert m.first_hour_ending() == datetime(2026, 7, 1, 5, tzinfo=UTC)
        assert m.last_hour_ending() == datetime(2026, 8, 1, 4, tzinfo=UTC)
        assert m.n_hours() == 744

    @pytest.mark.parametrize(
        ("year", "month", "hours"), [(2026, 3, 743), (2026, 11, 721), (2026, 10, 744), (2026, 2, 672)]
    )
    def test_daylight_saving_months(self, year: int, month: int, hours: int) -> None:
        assert DeliveryMonth(year, month).n_hours() == hours

    def test_november_first_hour_is_unambiguous(self) -> None:
        # 1 Nov 2026 is a Sunday: clocks fall back at 02:00 EDT, after the first hour.
        m = DeliveryMonth(2026, 11)
        assert m.first_hour_ending() == datetime(2026, 11, 1, 5, tzinfo=UTC)

    def test_last_hour_belongs_to_the_month(self) -> None:
        m = DeliveryMonth(2026, 12)
        assert DeliveryMonth.of_hour(m.last_hour_ending()) == m
        assert DeliveryMonth.of_hour(m.last_hour_ending() + timedelta(hours=1)) == DeliveryMonth(2027, 1)
        assert m.next() == DeliveryMonth(2027, 1)

    def test_parse_and_str(self) -> None:
        assert DeliveryMonth.parse("2026-07") == DeliveryMonth(2026, 7)
        assert str(DeliveryMonth(2026, 7)) == "2026-07"
        with pytest.raises(ValueError, match="YYYY-MM"):
            DeliveryMonth.parse("July")
        with pytest.raises(ValueError, match=r"1\.\.12"):
            DeliveryMonth(2026, 13)

    @given(st.integers(min_value=0, max_value=24 * 365 * 3))
    def test_every_hour_is_in_exactly_one_month(self, offset: int) -> None:
        h = datetime(2025, 1, 1, 6, tzinfo=UTC) + timedelta(hours=offset)
        m = DeliveryMonth.of_hour(h)
        assert m.contains(h)
        assert not m.next().contains(h)
        assert m.first_hour_ending() <= h <= m.last_hour_ending()


class TestCheckHourEnding:
    def test_naive_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            check_hour_ending(datetime(2026, 7, 1, 5))

    def test_off_the_hour_refused(self) -> None:
        with pytest.raises(ValueError, match="whole hour"):
            check_hour_ending(datetime(2026, 7, 1, 5, 30, tzinfo=UTC))


class TestAgreesWithMarketCalendar:
    @pytest.mark.parametrize("month", range(1, 13))
    def test_hour_counts_and_month_of_each_hour(self, month: int) -> None:
        m = DeliveryMonth(2026, month)
        hours = hours_in_month(2026, month)
        assert m.n_hours() == hour_count(2026, month) == len(hours)
        assert (hours[0], hours[-1]) == (m.first_hour_ending(), m.last_hour_ending())
        assert all(month_of(h) == (m.year, m.month) == astuple(DeliveryMonth.of_hour(h)) for h in hours[::37])
