"""Invariants over random small markets: money conserved, excess capped, row order irrelevant."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market_calendar import PeriodClass, month_hour_index
from market_terms import Hedge
from settlement.charges import hourly_charges
from settlement.money import conservation_tolerance
from settlement.month import MonthSettlement, settle_month
from settlement.positions import FtrRecord
from settlement.prices import prices_from_matrix
from settlement.year_state import YearState

NODES = ("n1", "n2", "n3", "n4")
SPECIAL = 8  # hours with random prices and charges; the rest have flat prices and no charges
TOL = 1e-6

ftr_rows = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),
        st.sampled_from(NODES),
        st.sampled_from(NODES),
        st.floats(0.1, 500.0),
        st.sampled_from(list(PeriodClass)),
        st.sampled_from(list(Hedge)),
    ).filter(lambda r: r[1] != r[2]),
    min_size=1,
    max_size=8,
)
market = st.tuples(
    ftr_rows,
    st.lists(st.floats(-50.0, 200.0), min_size=SPECIAL * len(NODES), max_size=SPECIAL * len(NODES)),
    st.lists(st.floats(-2000.0, 20000.0), min_size=SPECIAL, max_size=SPECIAL),
    st.randoms(use_true_random=False),
)


def _ftrs(rows: list[tuple[str, str, str, float, PeriodClass, Hedge]]) -> list[FtrRecord]:
    return [FtrRecord(f"f{i}", h, s, t, mw, c, hedge) for i, (h, s, t, mw, c, hedge) in enumerate(rows)]


def _settle(
    year: int, month: int, ftrs: list[FtrRecord], prices: list[float], charges: list[float], state: YearState
) -> MonthSettlement:
    hours = month_hour_index(year, month)
    # Special hours spread over on- and off-peak hours of the month.
    picks = np.linspace(0, len(hours) - 1, SPECIAL).astype(int)
    values = np.full((len(NODES), len(hours)), 25.0)
    values[:, picks] = np.array(prices).reshape(len(NODES), SPECIAL)
    da = np.zeros(len(hours))
    da[picks] = charges
    matrix = prices_from_matrix(hours, NODES, values)
    return settle_month(year, month, ftrs, matrix, hourly_charges(hours, da), state)


def _check_conservation(result: MonthSettlement) -> None:
    h = result.hourly
    paid = result.holder_credit.sum(axis=0)
    gross = np.abs(result.holder_credit).sum(axis=0) + np.abs(h.charges)
    assert (np.abs(paid + h.excess - h.charges) <= conservation_tolerance(gross)).all()
    d = result.distribution
    month_out = result.holder_credit.sum() + d.monthly.sum() + d.annual.sum() + d.carried
    assert abs(month_out - h.charges.sum()) <= TOL * (1 + np.abs(h.charges).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market, market)
def test_two_months_conserve_money_and_cap_excess(first: tuple[Any, ...], second: tuple[Any, ...]) -> None:
    rows1, prices1, charges1, _ = first
    rows2, prices2, charges2, _ = second
    m1 = _settle(2026, 1, _ftrs(rows1), prices1, charges1, YearState.new(2026))
    m2 = _settle(2026, 2, _ftrs(rows2), prices2, charges2, m1.state_after)
    for result in (m1, m2):
        _check_conservation(result)
        d = result.distribution
        month_holders = dict(
            zip(result.holders.names, result.holder_target_allocation.sum(axis=1), strict=True)
        )
        assert {n: t for n, t in zip(d.holders, d.target_allocation, strict=True) if n in month_holders} == (
            pytest.approx(month_holders, abs=TOL)
        )
        # (a) never more than the month's deficiency; (a) + (b) never more than the year's.
        assert (d.monthly <= np.maximum(d.target_allocation - d.credit, 0.0) + TOL).all()
        assert (d.monthly >= 0).all() and (d.annual >= 0).all()
        for i, name in enumerate(d.holders):
            year = result.state_after.holder(name)
            if d.annual[i] > 0:
                left = (
                    year.target_allocation
                    - year.credit
                    - year.monthly_distribution
                    - year.annual_distribution
                )
                assert left >= -TOL * (1 + abs(year.target_allocation))
                assert year.deficiency == max(left, 0.0)
    assert m2.state_after.carried_excess == m1.state_after.carried_excess + m2.distribution.carried
    # Every earlier holder is in month 2's distribution set (OA 5.2.6(b) pays past holders too).
    assert set(m1.distribution.holders) <= set(m2.distribution.holders)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market)
def test_results_independent_of_row_order(case: tuple[Any, ...]) -> None:
    rows, prices, charges, rnd = case
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a = _settle(2026, 3, _ftrs(rows), prices, charges, YearState.new(2026, 3))
    b = _settle(2026, 3, _ftrs(shuffled), prices, charges, YearState.new(2026, 3))
    assert a.holders.names == b.holders.names
    assert a.distribution.holders == b.distribution.holders
    scale = 1e-9 * (1 + np.abs(a.holder_target_allocation).sum())
    np.testing.assert_allclose(a.holder_target_allocation, b.holder_target_allocation, rtol=0, atol=scale)
    np.testing.assert_allclose(a.holder_credit, b.holder_credit, rtol=0, atol=scale)
    np.testing.assert_allclose(a.distribution.monthly, b.distribution.monthly, rtol=0, atol=scale)
    np.testing.assert_allclose(a.distribution.annual, b.distribution.annual, rtol=0, atol=scale)
    assert abs(a.distribution.carried - b.distribution.carried) <= scale
