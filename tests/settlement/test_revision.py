"""Re-settling January after a price correction re-flows February and shows the differences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from market_calendar import PeriodClass
from settlement.errors import YearStateError
from settlement.month import settle_month
from settlement.positions import FtrRecord
from settlement.revision import MonthInputs, holder_differences, resettle
from settlement.year_state import YearState
from tests.settlement.builders import month_charges, month_prices

ABS = 1e-9
NODES = ("1", "2", "3")
FTRS = (
    FtrRecord("f-p", "P", "1", "3", 50.0, PeriodClass.ON_PEAK),
    FtrRecord("f-q", "Q", "2", "3", 100.0, PeriodClass.ON_PEAK),
)
JAN = datetime(2026, 1, 5, 14, tzinfo=UTC)
FEB = datetime(2026, 2, 2, 14, tzinfo=UTC)


def _january(bus3: float) -> MonthInputs:
    return MonthInputs(
        1, FTRS, month_prices(2026, 1, NODES, {JAN: (20, 25, bus3)}), month_charges(2026, 1, {JAN: 1000.0})
    )


FEBRUARY = MonthInputs(
    2, FTRS, month_prices(2026, 2, NODES, {FEB: (10, 10, 12)}), month_charges(2026, 2, {FEB: 800.0})
)


class TestResettle:
    def test_correction_reflows_and_diffs(self) -> None:
        # Published: bus 3 at 30 -> P 500, Q 500, total 1000 = charges; Feb TA 100 + 200, excess 500.
        published = resettle(2026, [_january(30.0), FEBRUARY], YearState.new(2026))
        assert published[1].distribution.carried == pytest.approx(500.0, abs=ABS)
        # Corrected: bus 3 at 35 -> P 750, Q 1000, total 1750 > 1000: ratio 4/7, credits P 428.57, Q 571.43;
        # deficiencies P 321.43, Q 428.57 are paid in February from its 500 excess pro rata:
        # P 214.29, Q 285.71.
        corrected = resettle(2026, [_january(35.0), FEBRUARY], published[0].state_before)
        assert corrected[1].distribution.annual == pytest.approx(
            [500 * 321.4285714 / 750, 500 * 428.5714286 / 750], abs=1e-5
        )
        assert corrected[1].distribution.carried == pytest.approx(0.0, abs=ABS)
        jan = holder_differences(published[0], corrected[0]).set_index("holder")
        assert jan.loc["P", "target_allocation_change"] == 250.0
        assert jan.loc["Q", "credit_change"] == pytest.approx(571.43 - 500.0, abs=1e-9)
        feb = holder_differences(published[1], corrected[1]).set_index("holder")
        assert feb.loc["P", "annual_distribution_change"] == 214.29
        assert "target_allocation_change" in feb.columns and feb.loc["Q", "target_allocation_change"] == 0.0

    def test_unchanged_month_has_no_differences(self) -> None:
        a = settle_month(2026, 1, FTRS, _january(30.0).prices, _january(30.0).charges)
        b = settle_month(2026, 1, FTRS, _january(30.0).prices, _january(30.0).charges)
        assert holder_differences(a, b).empty

    def test_months_must_follow_the_state(self) -> None:
        with pytest.raises(YearStateError, match="do not follow month 0"):
            resettle(2026, [FEBRUARY], YearState.new(2026))
