"""Hourly credits and the month-end excess, checked against the settlement example."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.payout import hourly_credits, month_payout, payout_ratio

# docs/rules.md worked example, month 1: P 1->3 50 MW, Q 2->3 100 MW, R 3->1 30 MW
PRICES = np.array([[20.0, 25.0, 35.0], [20.0, 30.0, 50.0], [30.0, 30.0, 30.0]])
PATHS = [(0, 2, 50.0), (1, 2, 100.0), (2, 0, 30.0)]
CHARGES = np.array([1375.0, 2340.0, 100.0])


def target() -> np.ndarray:
    return np.column_stack([mw * (PRICES[:, t] - PRICES[:, s]) for s, t, mw in PATHS])


class TestWorkedExample:
    def test_hourly_credits(self) -> None:
        credits, excess = hourly_credits(target(), CHARGES)
        np.testing.assert_allclose(credits[0], [750.0, 1000.0, -450.0])
        np.testing.assert_allclose(credits[1], [1350.0, 1800.0, -810.0])
        np.testing.assert_allclose(credits[2], [0.0, 0.0, 0.0])
        np.testing.assert_allclose(excess, [75.0, 0.0, 100.0], atol=1e-9)

    def test_month_end_excess(self) -> None:
        pay = month_payout(target(), CHARGES, ["P", "Q", "R"])
        np.testing.assert_allclose(pay.target_allocation, [2250.0, 3000.0, -1350.0])
        np.testing.assert_allclose(pay.hourly_credit, [2100.0, 2800.0, -1260.0])
        np.testing.assert_allclose(pay.month_end_credit, [2175.0, 2900.0, -1260.0])
        np.testing.assert_allclose(pay.shortfall_by_hour, [0.0, 260.0, 0.0], atol=1e-9)


def test_ratio_is_one_when_nothing_is_owed() -> None:
    assert payout_ratio(-5.0, 0.0) == 1.0
    assert payout_ratio(90.0, 100.0) == pytest.approx(0.9)


def test_negative_total_below_negative_charges_pays_in_full() -> None:
    credits, excess = hourly_credits(np.array([[-10.0, 4.0]]), np.array([-20.0]))
    np.testing.assert_allclose(credits, [[-10.0, 4.0]])
    np.testing.assert_allclose(excess, [-14.0])


@settings(max_examples=60, deadline=None)
@given(
    ta=arrays(np.float64, (5, 4), elements=st.floats(-500, 500)),
    charges=arrays(np.float64, (5,), elements=st.floats(-100, 2000)),
)
def test_money_is_conserved_and_no_one_gets_more_than_its_target(ta: np.ndarray, charges: np.ndarray) -> None:
    credits, excess = hourly_credits(ta, charges)
    np.testing.assert_allclose(credits.sum(axis=1) + excess, charges, atol=1e-6)
    positive = ta > 0
    assert np.all(credits[positive] <= ta[positive] + 1e-9)
    pay = month_payout(ta, charges, ["a", "b", "a", "c"])
    assert pay.month_end_credit.sum() <= pay.hourly_credit.sum() + max(pay.excess_by_hour.sum(), 0.0) + 1e-6
    assert np.all(pay.month_end_credit >= pay.hourly_credit - 1e-9)
