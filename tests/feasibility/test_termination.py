"""The solve ends with a status value and a termination value, never a bare string to compare."""

from __future__ import annotations

import numpy as np

from feasibility.grid import AngleGrid
from feasibility.network_grid import NetworkGrid
from feasibility.problem import build_problem
from feasibility.result import ClearingOptions, Formulation, Status, Termination
from feasibility.solve import solve
from network.matpower import load_matpower, matpower_case_path
from tests.feasibility.grids import three_bus_grid


class TestTermination:
    def test_no_violation_ends_optimal(self) -> None:
        p = build_problem(["B1"], ["1"], ["3"], [100.0], [10.0])
        r = solve(p, three_bus_grid())
        assert r.status is Status.OPTIMAL
        assert r.termination_reason is Termination.NO_VIOLATION
        np.testing.assert_allclose(r.product_mw, [90.0], atol=1e-7)

    def test_iteration_limit_is_a_value(self) -> None:
        # two rounds are needed (the unconstrained award overloads 1-3); one is allowed
        p = build_problem(["B1"], ["1"], ["3"], [100.0], [10.0])
        r = solve(p, three_bus_grid(), ClearingOptions(max_iterations=1))
        assert r.status is Status.ITERATION_LIMIT
        assert r.termination_reason is Termination.ITERATION_LIMIT


class TestAngleGridDispatch:
    def test_dense_grid_is_not_an_angle_grid_and_clears_nodal(self) -> None:
        grid = three_bus_grid()
        assert not isinstance(grid, AngleGrid)
        p = build_problem(["B1"], ["1"], ["3"], [100.0], [10.0])
        angle = solve(p, grid, ClearingOptions(formulation=Formulation.ANGLE))
        nodal = solve(p, grid, ClearingOptions(formulation=Formulation.NODAL))
        assert angle.lp_columns == nodal.lp_columns
        np.testing.assert_allclose(angle.product_mw, nodal.product_mw, atol=1e-9)

    def test_network_grid_is_an_angle_grid(self) -> None:
        grid = NetworkGrid.build(load_matpower(matpower_case_path("case9")))
        assert isinstance(grid, AngleGrid)
