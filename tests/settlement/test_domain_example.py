"""The docs/rules.md settlement worked example, every number of it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from market_calendar import PeriodClass, is_on_peak, month_hour_index
from settlement.charges import hourly_charges, rt_congestion_by_hour
from settlement.excess import distribute_year_end
from settlement.month import MonthSettlement, settle_month
from settlement.positions import FtrRecord
from settlement.statements import holder_monthly_frame, month_summary
from settlement.year_state import YearState
from tests.settlement.builders import month_charges, month_prices

NODES = ("1", "2", "3")
FTRS = (
    FtrRecord("f-p", "P", "1", "3", 50.0, PeriodClass.ON_PEAK),
    FtrRecord("f-q", "Q", "2", "3", 100.0, PeriodClass.ON_PEAK),
    FtrRecord("f-r", "R", "3", "1", 30.0, PeriodClass.ON_PEAK),
)
# Month 1 = January 2026, three on-peak hours on Monday 5 January (HE09..HE11 EST); in every other hour
# all prices are equal and charges zero, so those hours settle nothing.
H1 = datetime(2026, 1, 5, 14, tzinfo=UTC)
H2 = datetime(2026, 1, 5, 15, tzinfo=UTC)
H3 = datetime(2026, 1, 5, 16, tzinfo=UTC)
# Month 2 = February 2026, Monday 2 February HE09.
M2H1 = datetime(2026, 2, 2, 14, tzinfo=UTC)
ABS = 1e-9


def _rt_for_h3() -> np.ndarray:
    """RT congestion of January: zero every 5 minutes except twelve amounts adding to 100 in h3."""
    hours = month_hour_index(2026, 1)
    ends = pd.date_range(hours[0] - pd.Timedelta(minutes=55), hours[-1], freq="5min", tz=UTC)
    amounts = np.zeros(len(ends))
    in_h3 = (ends > pd.Timestamp(H3) - pd.Timedelta(hours=1)) & (ends <= pd.Timestamp(H3))
    amounts[np.flatnonzero(in_h3)] = [5, 10, 5, 10, 5, 10, 5, 10, 5, 10, 5, 20]
    return rt_congestion_by_hour(pd.Series(ends), pd.Series(amounts), hours)


def _month1() -> MonthSettlement:
    prices = month_prices(2026, 1, NODES, {H1: (20, 25, 35), H2: (20, 30, 50), H3: (30, 30, 30)})
    da = month_charges(2026, 1, {H1: 1375.0, H2: 2340.0, H3: 0.0})
    charges = hourly_charges(da.hours, da.da, _rt_for_h3())
    return settle_month(2026, 1, FTRS, prices, charges, YearState.new(2026))


def _month2(state: YearState) -> MonthSettlement:
    prices = month_prices(2026, 2, NODES, {M2H1: (10, 10, 40)})
    return settle_month(2026, 2, FTRS, prices, month_charges(2026, 2, {M2H1: 4000.0}), state)


def _by_holder(result: MonthSettlement, values: np.ndarray) -> dict[str, float]:
    return dict(zip(result.holders.names, values.tolist(), strict=True))


def _dist(result: MonthSettlement, values: np.ndarray) -> dict[str, float]:
    return dict(zip(result.distribution.holders, values.tolist(), strict=True))


class TestDomainExample:
    def test_hours_are_on_peak(self) -> None:
        assert all(is_on_peak(h) for h in (H1, H2, H3, M2H1))

    def test_rt_is_summed_to_the_hour(self) -> None:
        rt = _rt_for_h3()
        hours = month_hour_index(2026, 1)
        assert rt[hours.get_loc(pd.Timestamp(H3))] == pytest.approx(100.0, abs=ABS)
        assert rt.sum() == pytest.approx(100.0, abs=ABS)

    def test_month1_hourly(self) -> None:
        result = _month1()
        idx = [result.hours.get_loc(pd.Timestamp(h)) for h in (H1, H2, H3)]
        hourly = result.hourly
        assert hourly.total_target_allocation[idx] == pytest.approx([1300.0, 2600.0, 0.0], abs=ABS)
        assert hourly.excess[idx] == pytest.approx([75.0, 0.0, 100.0], abs=ABS)
        assert hourly.payout_ratio[idx] == pytest.approx([1.0, 0.9, 1.0], abs=ABS)
        assert list(hourly.case[idx]) == ["covered", "prorated", "covered"]
        h2 = _by_holder(result, result.holder_credit[:, idx[1]])
        assert h2 == pytest.approx({"P": 1350.0, "Q": 1800.0, "R": -810.0}, abs=ABS)

    def test_month1_totals_and_distribution(self) -> None:
        result = _month1()
        assert _by_holder(result, result.holder_target_allocation.sum(axis=1)) == pytest.approx(
            {"P": 2250.0, "Q": 3000.0, "R": -1350.0}, abs=ABS
        )
        assert _by_holder(result, result.holder_credit.sum(axis=1)) == pytest.approx(
            {"P": 2100.0, "Q": 2800.0, "R": -1260.0}, abs=ABS
        )
        assert result.distribution.pool == pytest.approx(175.0, abs=ABS)
        assert _dist(result, result.distribution.monthly) == pytest.approx(
            {"P": 75.0, "Q": 100.0, "R": 0.0}, abs=ABS
        )
        assert _dist(result, result.distribution.annual) == pytest.approx(
            {"P": 0.0, "Q": 0.0, "R": 0.0}, abs=ABS
        )
        assert result.distribution.carried == pytest.approx(0.0, abs=ABS)

    def test_month2_year_to_date_and_carry(self) -> None:
        result = _month2(_month1().state_after)
        assert result.distribution.pool == pytest.approx(400.0, abs=ABS)
        assert _dist(result, result.distribution.monthly) == pytest.approx(
            {"P": 0.0, "Q": 0.0, "R": 0.0}, abs=ABS
        )
        assert _dist(result, result.distribution.annual) == pytest.approx(
            {"P": 75.0, "Q": 100.0, "R": 0.0}, abs=ABS
        )
        assert result.distribution.carried == pytest.approx(225.0, abs=ABS)
        assert result.state_after.carried_excess == pytest.approx(225.0, abs=ABS)

    def test_year_end(self) -> None:
        state = _month2(_month1().state_after).state_after
        # March..December settle nothing more in this example.
        december = replace(state, last_month=12)
        year_end = distribute_year_end(december, {"X": 300_000.0, "Y": 600_000.0})
        assert dict(year_end.amounts) == pytest.approx({"X": 75.0, "Y": 150.0}, abs=ABS)
        assert year_end.undistributed == pytest.approx(0.0, abs=ABS)

    def test_state_round_trips_through_json(self) -> None:
        state = _month1().state_after
        again = YearState.from_json(json.loads(json.dumps(state.to_json())))
        assert again == state
        assert _month2(again).distribution.carried == pytest.approx(225.0, abs=ABS)

    def test_statements(self) -> None:
        result = _month1()
        frame = holder_monthly_frame(result).set_index("holder")
        assert frame.loc["P", "payout_ratio"] == pytest.approx((2100 + 75) / 2250, abs=1e-12)
        assert np.isnan(frame.loc["R", "payout_ratio"])
        summary = month_summary(result)
        assert summary["charges"]["total"] == 3815.0
        assert summary["charges"]["rt_congestion"] == 100.0
        assert summary["excess"] == 175.0
        assert summary["credits"] == 3640.0
        assert summary["carried_to_year_end"] == 0.0
        assert summary["payout_ratio"] == pytest.approx(3640 / 3900, abs=1e-12)

    def test_past_holder_gets_year_to_date_distribution(self) -> None:
        # P sells nothing in February but is still owed 75 for January (OA 5.2.6(b) "during the current
        # calendar year"). February: Q 3000 + R -900 = 2100 <= 4000, excess 1900: P +75, Q +100, 1725 carried.
        prices = month_prices(2026, 2, NODES, {M2H1: (10, 10, 40)})
        charges = month_charges(2026, 2, {M2H1: 4000.0})
        result = settle_month(2026, 2, FTRS[1:], prices, charges, _month1().state_after)
        assert result.holders.names == ("Q", "R")
        assert result.distribution.holders == ("P", "Q", "R")
        assert _dist(result, result.distribution.annual) == pytest.approx(
            {"P": 75.0, "Q": 100.0, "R": 0.0}, abs=ABS
        )
        assert result.distribution.carried == pytest.approx(1725.0, abs=ABS)
        frame = holder_monthly_frame(result).set_index("holder")
        assert frame.loc["P", "target_allocation"] == 0.0 and frame.loc["P", "annual_distribution"] == 75.0
