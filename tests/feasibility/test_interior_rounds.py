"""Rounds solved by interior point + crossover give the same clearing as the warm dual simplex.

The production rule (``feasibility.solve.INTERIOR_ROW_SHARE``) only sends rounds of large LPs to IPX;
these tests lower the size threshold so that small cases take that path, and check it against the
Pyomo reference and against the simplex-only path.
"""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

import feasibility.solve as solve_module
from feasibility.check import check_awards
from feasibility.highs_lp import HighsLp, LpStatus
from feasibility.reference import solve_reference
from feasibility.result import ClearingOptions, ClearingResult
from feasibility.solve import solve
from tests.feasibility.grids import products_taken
from tests.feasibility.test_reference import medium_case

# few rows per round: several rounds each adding a large share of the LP's rows
FEW_ROWS = ClearingOptions(max_rows_per_iteration=3)


@pytest.fixture
def interior_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "INTERIOR_MIN_COLUMNS", 0)


def _work(result: ClearingResult) -> dict[str, int]:
    work: dict[str, int] = result.solver["work"]
    return work


@pytest.mark.usefixtures("interior_everywhere")
class TestInteriorRounds:
    @pytest.mark.parametrize("seed", [1, 2, 5])
    def test_matches_the_reference_formulation(self, seed: int) -> None:
        grid, problem = medium_case("case30", 40, 4, seed)
        fast = solve(problem, grid, FEW_ROWS)
        ref = solve_reference(problem, grid)
        assert _work(fast)["interior_runs"] >= 1
        assert _work(fast)["interior_fallbacks"] == 0
        assert fast.surplus == pytest.approx(ref.surplus, rel=1e-6)
        np.testing.assert_allclose(fast.point_prices, ref.point_prices, atol=1e-6)
        assert check_awards(problem, grid, fast.product_mw, 1e-5).amount_mw.size == 0

    @pytest.mark.parametrize("seed", [1, 3])
    def test_matches_the_simplex_only_path(self, seed: int) -> None:
        grid, problem = medium_case("case30", 60, 6, seed)
        mixed = solve(problem, grid, FEW_ROWS)
        simplex = solve(problem, grid, dataclasses.replace(FEW_ROWS, interior_rounds=False))
        assert _work(mixed)["interior_runs"] >= 1
        assert _work(simplex)["interior_runs"] == 0
        assert mixed.surplus == pytest.approx(simplex.surplus, rel=1e-9)
        np.testing.assert_allclose(mixed.point_prices, simplex.point_prices, atol=1e-6)

    def test_bid_order_does_not_change_anything_bit_for_bit(self) -> None:
        grid, problem = medium_case("case30", 60, 6, 4)
        perm = np.random.default_rng(7).permutation(len(problem.products))
        shuffled = products_taken(problem, perm)
        a = solve(problem, grid, FEW_ROWS)
        b = solve(shuffled, grid, FEW_ROWS)
        assert _work(a)["interior_runs"] >= 1
        assert np.array_equal(b.product_mw, a.product_mw[perm])
        assert np.array_equal(b.point_prices, a.point_prices)
        assert a.surplus == b.surplus


def _small_lp() -> HighsLp:
    """max 3x + 2y, x + y <= 4, x + 3y <= 6, 0 <= x, y <= 3 (as a minimisation): optimum x=3, y=1."""
    lp = HighsLp(tolerance=1e-9, time_limit_s=60.0)
    lp.add_columns(np.array([-3.0, -2.0]), np.zeros(2), np.full(2, 3.0))
    lp.add_rows(sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 3.0]])), np.full(2, -np.inf), np.array([4.0, 6.0]))
    return lp


class TestInteriorFallback:
    def test_interior_run_reaches_the_simplex_optimum(self) -> None:
        lp = _small_lp()
        assert lp.solve(interior=True) is LpStatus.OPTIMAL
        assert lp.interior_runs == 1 and lp.interior_fallbacks == 0
        np.testing.assert_allclose(lp.column_values(), [3.0, 1.0], atol=1e-9)
        assert lp.objective() == pytest.approx(-11.0, abs=1e-9)

    def test_an_interior_run_that_stops_early_is_finished_by_the_simplex(self) -> None:
        lp = _small_lp()
        # white-box: stop IPX after one iteration, as a numerically hard LP would stop it
        lp._h.setOptionValue("ipm_iteration_limit", 1)
        assert lp.solve(interior=True) is LpStatus.OPTIMAL
        assert lp.interior_fallbacks == 1
        assert lp._h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        np.testing.assert_allclose(lp.column_values(), [3.0, 1.0], atol=1e-9)
