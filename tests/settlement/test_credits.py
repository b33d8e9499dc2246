"""OA 5.2.5 hour cases, each hand-checked, and money conservation as a property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from settlement.credits import HourCase, hourly_credits
from settlement.money import conservation_tolerance

ABS = 1e-9


class TestHourCases:
    def test_covered(self) -> None:
        h = hourly_credits(np.array([1300.0]), np.array([1375.0]))
        assert h.case[0] == HourCase.COVERED
        assert h.payout_ratio[0] == 1.0
        assert h.credits[0] == pytest.approx(1300.0, abs=ABS)
        assert h.excess[0] == pytest.approx(75.0, abs=ABS)

    def test_exactly_covered_has_no_excess(self) -> None:
        h = hourly_credits(np.array([500.0]), np.array([500.0]))
        assert h.case[0] == HourCase.COVERED
        assert h.excess[0] == 0.0

    def test_prorated(self) -> None:
        h = hourly_credits(np.array([2600.0]), np.array([2340.0]))
        assert h.case[0] == HourCase.PRORATED
        assert h.payout_ratio[0] == pytest.approx(0.9, abs=1e-15)
        assert h.credits[0] == pytest.approx(2340.0, abs=ABS)
        assert h.excess[0] == pytest.approx(0.0, abs=ABS)

    def test_negative_total_with_positive_charges_is_covered(self) -> None:
        # Counterflow dominates: holders as a group owe 200; all of it plus the 50 collected is excess.
        h = hourly_credits(np.array([-200.0]), np.array([50.0]))
        assert h.case[0] == HourCase.COVERED
        assert h.payout_ratio[0] == 1.0
        assert h.credits[0] == pytest.approx(-200.0, abs=ABS)
        assert h.excess[0] == pytest.approx(250.0, abs=ABS)

    def test_zero_total_and_negative_charges_never_divides(self) -> None:
        h = hourly_credits(np.array([0.0]), np.array([-40.0]))
        assert h.case[0] == HourCase.OWED
        assert h.payout_ratio[0] == 1.0
        assert h.credits[0] == 0.0
        assert h.excess[0] == pytest.approx(-40.0, abs=ABS)

    def test_owed(self) -> None:
        h = hourly_credits(np.array([-100.0]), np.array([-300.0]))
        assert h.case[0] == HourCase.OWED
        assert h.payout_ratio[0] == 1.0
        assert h.credits[0] == pytest.approx(-100.0, abs=ABS)
        assert h.excess[0] == pytest.approx(-200.0, abs=ABS)

    def test_unfunded(self) -> None:
        h = hourly_credits(np.array([1000.0]), np.array([-30.0]))
        assert h.case[0] == HourCase.UNFUNDED
        assert h.payout_ratio[0] == 0.0
        assert h.credits[0] == 0.0
        assert h.excess[0] == pytest.approx(-30.0, abs=ABS)

    def test_zero_charges_positive_total_is_prorated_to_nothing(self) -> None:
        h = hourly_credits(np.array([10.0]), np.array([0.0]))
        assert h.case[0] == HourCase.PRORATED
        assert h.payout_ratio[0] == 0.0
        assert h.excess[0] == 0.0


money = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)


@given(arrays(np.float64, 50, elements=money), arrays(np.float64, 50, elements=money))
def test_conserved_and_ratio_bounded(total: np.ndarray, charges: np.ndarray) -> None:
    h = hourly_credits(total, charges)
    imbalance = np.abs(h.credits + h.excess - charges)
    assert (imbalance <= conservation_tolerance(np.abs(total) + np.abs(charges))).all()
    assert ((h.payout_ratio >= 0.0) & (h.payout_ratio <= 1.0)).all()
    # Excess is negative only when the hour's charges are.
    assert (h.excess[charges >= 0] >= -conservation_tolerance(np.abs(charges[charges >= 0]))).all()
    # Nobody is paid more than the total claims when the total is positive.
    positive = total > 0
    assert (h.credits[positive] <= total[positive] + ABS).all()
