"""Option FTRs: only the adverse flow counts, they never relieve, their price is never negative."""

from __future__ import annotations

import numpy as np
import pytest

from feasibility.problem import build_problem
from feasibility.reference import solve_reference
from feasibility.solve import solve
from tests.feasibility.grids import three_bus_grid


class TestOptions:
    def test_counterflow_obligation_relieves(self) -> None:
        p = build_problem(["B1", "B3"], ["1", "3"], ["3", "1"], [100.0, 30.0], [10.0, 1.0], [False, False])
        r = solve(p, three_bus_grid())
        # 2/3 (x1 - x3) <= 60 with x3 = 30 lets x1 = 100 (cap): 2/3 * 70 = 46.7 MW, not binding
        np.testing.assert_allclose(r.product_mw, [100.0, 30.0], atol=1e-7)

    def test_counterflow_option_does_not_relieve_and_is_priced_zero(self) -> None:
        grid = three_bus_grid()
        p = build_problem(["B1", "B3"], ["1", "3"], ["3", "1"], [100.0, 30.0], [10.0, 1.0], [False, True])
        r = solve(p, grid)
        # the option 3->1 loads only the reverse of every line (not binding): B1 alone, 2/3 x1 <= 60
        np.testing.assert_allclose(r.product_mw, [90.0, 30.0], atol=1e-7)
        assert r.product_prices[0] == pytest.approx(10.0, abs=1e-9)
        assert r.product_prices[1] == pytest.approx(0.0, abs=1e-9)  # an obligation 3->1 would be -10
        assert r.point_prices[0] == pytest.approx(-10.0, abs=1e-9)

    def test_prevailing_flow_option_priced_like_the_obligation(self) -> None:
        p = build_problem(["B1", "B2"], ["1", "1"], ["3", "3"], [100.0, 100.0], [10.0, 12.0], [True, False])
        r = solve(p, three_bus_grid())
        np.testing.assert_allclose(r.product_mw, [0.0, 90.0], atol=1e-7)
        np.testing.assert_allclose(r.product_prices, [12.0, 12.0], atol=1e-9)

    def test_option_loading_one_line_and_relieving_another(self) -> None:
        # 2 -> 1: loads 1-2 reverse (2/3 per MW) and 1-3 reverse (1/3); relieves 2-3 (-1/3): as an option
        # it must still respect 2-3 in its own direction without the relief. Cross-check with Pyomo.
        grid = three_bus_grid()
        p = build_problem(["A", "B"], ["2", "2"], ["1", "3"], [200.0, 2000.0], [3.0, 1.0], [True, False])
        fast = solve(p, grid)
        ref = solve_reference(p, grid)
        assert fast.surplus == pytest.approx(ref.surplus, rel=1e-9)
        np.testing.assert_allclose(fast.product_mw, ref.product_mw, atol=1e-6)
        assert np.all(fast.product_prices[[0]] >= 0.0)
