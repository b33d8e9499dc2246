"""The 3-bus worked example of docs/rules.md through the LP alone (before the auction's pro-rata step)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from feasibility.highs_lp import HighsLp, LpStatus
from feasibility.network_grid import NetworkGrid
from feasibility.prices import bus_prices, path_price_breakdown
from feasibility.result import ClearingOptions, Formulation, Status, Strategy
from feasibility.solve import solve
from network.examples import three_bus
from tests.feasibility.grids import three_bus_grid, three_bus_problem

TOL = 1e-9


class TestHighsDualSign:
    def test_row_dual_of_binding_limit_is_minus_the_shadow_price(self) -> None:
        # max 10 x1 + 8 x2 s.t. (2/3) x1 + (1/3) x2 <= 60, x <= 100: B1 and B2 on line 1-3.
        lp = HighsLp(tolerance=1e-9, time_limit_s=10)
        lp.add_columns(np.array([-10.0, -8.0]), np.zeros(2), np.array([100.0, 100.0]))
        lp.add_rows(sp.csr_matrix(np.array([[2 / 3, 1 / 3]])), np.array([-np.inf]), np.array([60.0]))
        assert lp.solve() is LpStatus.OPTIMAL
        # x2 = 100 (24 $/MW of line per MW), x1 fills the rest: 40 MW; the line is worth 10 / (2/3) = 15
        np.testing.assert_allclose(lp.column_values(), [40.0, 100.0], atol=1e-9)
        assert lp.row_duals()[0] == pytest.approx(-15.0, abs=1e-9)


@pytest.mark.parametrize("formulation", list(Formulation))
@pytest.mark.parametrize("strategy", list(Strategy))
class TestThreeBus:
    def test_awards_prices_revenue(self, formulation: Formulation, strategy: Strategy) -> None:
        grid = three_bus_grid()
        result = solve(three_bus_problem(), grid, ClearingOptions(formulation=formulation, strategy=strategy))
        assert result.status is Status.OPTIMAL
        # B1 and B4 are identical but for MW: one LP column, split 100:40 of 70 MW
        np.testing.assert_allclose(result.product_mw, [50.0, 100.0, 30.0, 20.0], atol=1e-7)
        np.testing.assert_allclose(result.product_prices, [10.0, 5.0, -10.0, 10.0], atol=TOL)
        np.testing.assert_allclose(result.point_prices, [-10.0, -5.0, 0.0], atol=TOL)
        assert len(result.binding) == 1
        b = result.binding[0]
        assert (b.constraint_id, b.contingency_id, b.direction) == ("1-3", None, 1)
        assert b.shadow_price == pytest.approx(15.0, abs=TOL)
        assert b.flow_mw == pytest.approx(60.0, abs=1e-7)
        assert result.surplus == pytest.approx(1530.0, abs=1e-6)
        assert result.revenue == pytest.approx(900.0, abs=1e-6)
        assert result.revenue_from_constraints == pytest.approx(900.0, abs=1e-6)

    def test_offer_above_path_price_not_sold(self, formulation: Formulation, strategy: Strategy) -> None:
        result = solve(three_bus_problem(12.0), three_bus_grid(), ClearingOptions(formulation, strategy))
        np.testing.assert_allclose(result.product_mw, [35.0, 100.0, 30.0, 14.0, 0.0], atol=1e-7)
        # offer O1 is the reversed path 3 -> 1: its price is -10, i.e. a seller would be paid 10
        np.testing.assert_allclose(result.product_prices, [10.0, 5.0, -10.0, 10.0, -10.0], atol=TOL)
        assert result.revenue == pytest.approx(15.0 * (60.0 - 14.0), abs=1e-6)
        assert result.binding[0].fixed_flow_mw == pytest.approx(14.0, abs=1e-9)

    def test_offer_below_path_price_sold(self, formulation: Formulation, strategy: Strategy) -> None:
        result = solve(three_bus_problem(6.0), three_bus_grid(), ClearingOptions(formulation, strategy))
        np.testing.assert_allclose(result.product_mw, [50.0, 100.0, 30.0, 20.0, 21.0], atol=1e-7)
        assert result.product_prices[4] == pytest.approx(-10.0, abs=TOL)
        # buyers pay 900, the seller is paid 210
        assert result.revenue == pytest.approx(900.0 - 210.0, abs=1e-6)
        assert result.surplus == pytest.approx(1530.0 - 6.0 * 21.0, abs=1e-6)


class TestOnNetworkPackage:
    def test_same_answer_on_the_sparse_network_grid(self) -> None:
        grid = NetworkGrid.build(three_bus())
        result = solve(three_bus_problem(), grid)
        np.testing.assert_allclose(result.product_mw, [50.0, 100.0, 30.0, 20.0], atol=1e-7)
        np.testing.assert_allclose(bus_prices(grid, result), [-10.0, -5.0, 0.0], atol=TOL)

    @pytest.mark.parametrize("formulation", list(Formulation))
    def test_every_formulation_with_full_n_minus_1(self, formulation: Formulation) -> None:
        grid = NetworkGrid.build(three_bus(), None, "all")
        result = solve(three_bus_problem(6.0), grid, ClearingOptions(formulation=formulation))
        # losing 1-2 or 2-3 leaves 1-3 (60 MW) alone between 1 and 3: B1, B3, B4 and the sold offer
        np.testing.assert_allclose(
            result.product_mw, [64.2857142857, 0.0, 30.0, 25.7142857143, 21.0], atol=1e-6
        )
        assert result.surplus == pytest.approx(804.0, abs=1e-6)
        assert result.revenue == pytest.approx(result.revenue_from_constraints, abs=1e-6)

    def test_path_price_breakdown_adds_up(self) -> None:
        grid = NetworkGrid.build(three_bus())
        result = solve(three_bus_problem(), grid)
        terms = path_price_breakdown(grid, result, "2", "3")
        assert len(terms) == 1
        assert terms[0].sensitivity == pytest.approx(1 / 3, abs=TOL)
        assert sum(t.contribution for t in terms) == pytest.approx(5.0, abs=TOL)
