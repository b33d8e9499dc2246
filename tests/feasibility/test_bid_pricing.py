"""Column generation on bid groups: the same optimum as the LP with every bid free (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from feasibility.check import check_awards
from feasibility.problem import build_problem
from feasibility.progress import Phase, ProgressEvent
from feasibility.result import ClearingOptions, ClearingResult, Status
from feasibility.solve import solve
from tests.feasibility.grids import three_bus_grid
from tests.feasibility.random_cases import Case, base_model_feasible, cases

PRICE_TOL = 1e-6  # $/MW
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


def _price_fill_consistent(case: Case, r: ClearingResult) -> bool:
    """Every product priced below its value is filled, every one priced above it is empty."""
    t = case.problem.products
    under = (t.value > r.product_prices + PRICE_TOL) & (r.product_mw < t.mw_max - 1e-6)
    over = (t.value < r.product_prices - PRICE_TOL) & (r.product_mw > 1e-6)
    return not bool(np.any(under | over))


class TestBidPricing:
    @given(cases(max_bids=30))
    @SETTINGS
    def test_same_surplus_and_feasible_prices_as_every_bid_free(self, case: Case) -> None:
        assume(base_model_feasible(case))
        priced = solve(case.problem, case.grid, ClearingOptions(price_columns=True))
        free = solve(case.problem, case.grid, ClearingOptions(price_columns=False))
        assert priced.status is Status.OPTIMAL and free.status is Status.OPTIMAL
        assert abs(priced.surplus - free.surplus) <= 1e-6 * max(1.0, abs(free.surplus))
        assert check_awards(case.problem, case.grid, priced.product_mw, 1e-5).amount_mw.size == 0
        assert _price_fill_consistent(case, priced)
        # options are never priced negative, whichever bids the LP held
        opt = case.problem.products.is_option & ~case.problem.products.is_sale
        assert np.all(priced.product_prices[opt] >= -PRICE_TOL)

    @given(cases(max_bids=30, option_offer=True))
    @SETTINGS
    def test_with_held_options_offered(self, case: Case) -> None:
        assume(base_model_feasible(case))
        priced = solve(case.problem, case.grid, ClearingOptions(price_columns=True))
        free = solve(case.problem, case.grid, ClearingOptions(price_columns=False))
        assert priced.status is Status.OPTIMAL and free.status is Status.OPTIMAL
        assert abs(priced.surplus - free.surplus) <= 1e-6 * max(1.0, abs(free.surplus))
        assert _price_fill_consistent(case, priced)

    def test_out_of_the_money_bids_leave_and_a_counterflow_comes_back(self) -> None:
        # 1-3 (60 MW) binds at 15 $/MW on 1 -> 3: bids valued below 15 $/MW leave the working set; the
        # counterflow 3 -> 1 at -5 $/MW (paid 5, priced -15) is in the money and cleared
        values = [10.0, 12.0, 14.0, 20.0, 15.0, -5.0]
        src = ["1", "1", "1", "1", "2", "3"]
        snk = ["3", "3", "3", "3", "3", "1"]
        ids = [f"B{j}" for j in range(len(values))]
        p = build_problem(ids, src, snk, [50.0, 50.0, 50.0, 100.0, 100.0, 30.0], values)
        events: list[ProgressEvent] = []
        priced = solve(p, three_bus_grid(), ClearingOptions(price_columns=True), progress=events.append)
        free = solve(p, three_bus_grid(), ClearingOptions(price_columns=False))
        assert priced.surplus == pytest.approx(free.surplus, rel=1e-9)
        np.testing.assert_allclose(priced.product_mw, free.product_mw, atol=1e-7)
        np.testing.assert_allclose(priced.point_prices, free.point_prices, atol=1e-9)
        rounds = [e for e in events if e.phase is Phase.ROUND]
        assert rounds[0].bids_priced_in == len(values)  # no row yet: every price 0, nothing leaves
        assert min(e.bids_priced_in for e in rounds) < len(values)  # bids below 15 $/MW leave
        assert priced.product_mw[5] == pytest.approx(30.0, abs=1e-7)
