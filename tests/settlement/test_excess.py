"""OA 5.2.6 distribution steps, hand-checked, including a month whose pool is negative."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from market_calendar import PeriodClass
from settlement.errors import SettlementInputError, YearStateError
from settlement.excess import distribute_capped, distribute_month, distribute_year_end
from settlement.month import settle_month
from settlement.positions import FtrRecord
from settlement.year_state import HolderYear, YearState
from tests.settlement.builders import month_charges, month_prices

ABS = 1e-9


class TestDistributeCapped:
    def test_pool_covers_claims(self) -> None:
        assert distribute_capped(500.0, np.array([100.0, 0.0, 50.0])).tolist() == [100.0, 0.0, 50.0]

    def test_pool_short_is_pro_rata(self) -> None:
        assert distribute_capped(90.0, np.array([100.0, 0.0, 50.0])) == pytest.approx(
            [60.0, 0.0, 30.0], abs=ABS
        )

    @pytest.mark.parametrize("pool", [0.0, -10.0])
    def test_non_positive_pool_pays_nothing(self, pool: float) -> None:
        assert distribute_capped(pool, np.array([100.0, 50.0])).tolist() == [0.0, 0.0]

    def test_negative_claims_count_as_none(self) -> None:
        assert distribute_capped(10.0, np.array([-5.0, 5.0])).tolist() == [0.0, 5.0]


class TestDistributeMonth:
    def test_year_to_date_counts_earlier_distributions(self) -> None:
        # A: Jan TA 1000, credit 800, got 150 already -> 50 left; this month TA 100, credit 100.
        state = YearState(
            2026,
            1,
            0.0,
            {"A": HolderYear(1000.0, 800.0, 150.0, 0.0), "B": HolderYear(500.0, 400.0, 0.0, 0.0)},
        )
        d = distribute_month(120.0, ("A", "B"), np.array([100.0, 50.0]), np.array([100.0, 50.0]), state)
        assert d.monthly.tolist() == [0.0, 0.0]
        # Year-to-date deficiencies: A 50, B 100; pool 120 < 150 -> 40 and 80.
        assert d.annual == pytest.approx([40.0, 80.0], abs=ABS)
        assert d.carried == pytest.approx(0.0, abs=ABS)


class TestNegativePool:
    def test_unfunded_hour_makes_a_negative_carry(self) -> None:
        hour = datetime(2026, 1, 5, 14, tzinfo=UTC)
        ftrs = [FtrRecord("f", "A", "1", "3", 10.0, PeriodClass.ON_PEAK)]
        prices = month_prices(2026, 1, ("1", "2", "3"), {hour: (20, 25, 35)})
        result = settle_month(2026, 1, ftrs, prices, month_charges(2026, 1, {hour: -60.0}))
        assert result.hourly.case[result.hours.get_loc(hour)] == "unfunded"
        assert result.holder_credit.sum() == 0.0
        assert result.distribution.pool == pytest.approx(-60.0, abs=ABS)
        assert result.distribution.monthly.tolist() == [0.0]
        assert result.state_after.carried_excess == pytest.approx(-60.0, abs=ABS)
        year_end = distribute_year_end(replace(result.state_after, last_month=12), {"X": 1.0})
        assert year_end.amounts == {"X": 0.0}
        assert year_end.undistributed == pytest.approx(-60.0, abs=ABS)


class TestYearEnd:
    def test_needs_december(self) -> None:
        with pytest.raises(YearStateError, match="needs December"):
            distribute_year_end(YearState(2026, 11, 100.0), {"X": 1.0})

    @pytest.mark.parametrize("charges", [{"X": -1.0}, {"X": 0.0}, {"X": float("nan")}])
    def test_bad_charges(self, charges: dict[str, float]) -> None:
        with pytest.raises(SettlementInputError, match="year-end charges"):
            distribute_year_end(YearState(2026, 12, 100.0), charges)
