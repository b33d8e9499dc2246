"""The Pyomo reference formulation: agreement with the fast path on a MATPOWER case, and the export."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import highspy
import numpy as np
import pytest

from feasibility.check import check_awards
from feasibility.network_grid import NetworkGrid
from feasibility.problem import ClearingProblem, build_problem
from feasibility.reference import export_model, solve_reference
from feasibility.result import ClearingOptions, Formulation
from feasibility.solve import solve
from network.examples import build_network
from network.matpower import load_matpower, matpower_case_path
from network.model import Contingency, PeriodConditions
from tests.feasibility.grids import three_bus_grid, three_bus_problem


def medium_case(case: str, n_bids: int, n_cont: int, seed: int) -> tuple[NetworkGrid, ClearingProblem]:
    """A MATPOWER case rated 100 MW (120 emergency), ``n_cont`` single-branch contingencies, random bids."""
    raw = load_matpower(matpower_case_path(case))
    net = dataclasses.replace(
        raw, rate_normal_mw=np.full(raw.n_branches, 100.0), rate_emergency_mw=np.full(raw.n_branches, 120.0)
    )
    rng = np.random.default_rng(seed)
    grid0 = NetworkGrid.build(net, None, "all")
    conts = [Contingency(c, (c,)) for c in rng.choice(grid0.contingency_ids, size=n_cont, replace=False)]
    grid = NetworkGrid.build(net, None, conts)
    buses = np.array(net.bus_ids)
    src = rng.choice(buses, size=n_bids)
    snk = rng.choice(buses, size=n_bids)
    keep = src != snk
    src, snk = src[keep], snk[keep]
    n = len(src)
    mw = np.round(rng.uniform(1.0, 150.0, size=n), 1)
    price = np.round(rng.normal(5.0, 4.0, size=n), 3) + rng.uniform(0, 1e-3, size=n)
    problem = build_problem([f"b{i}" for i in range(n)], list(src), list(snk), mw, price)
    return grid, problem


class TestAgainstFastPath:
    @pytest.mark.parametrize("seed", [1, 2])
    def test_case30_with_contingencies(self, seed: int) -> None:
        self._compare(*medium_case("case30", 40, 4, seed))

    @pytest.mark.slow
    @pytest.mark.parametrize("seed", [1, 2])
    def test_case57_with_contingencies(self, seed: int) -> None:
        self._compare(*medium_case("case57", 120, 10, seed))

    @pytest.mark.parametrize("seed", [3, 4])
    def test_angle_formulation_case30(self, seed: int) -> None:
        grid, problem = medium_case("case30", 40, 4, seed)
        angle = solve(problem, grid, ClearingOptions(formulation=Formulation.ANGLE))
        nodal = solve(problem, grid, ClearingOptions(formulation=Formulation.NODAL))
        ref = solve_reference(problem, grid)
        assert angle.surplus == pytest.approx(ref.surplus, rel=1e-6)
        assert angle.surplus == pytest.approx(nodal.surplus, rel=1e-9)
        assert angle.lp_nonzeros < nodal.lp_nonzeros
        assert check_awards(problem, grid, angle.product_mw, 1e-5).amount_mw.size == 0

    @pytest.mark.parametrize("seed", [5, 6])
    def test_case30_options_bought_held_and_sold(self, seed: int) -> None:
        # a quarter of the bids are options; six held FTRs, half options, two of those offered for sale
        grid, base = medium_case("case30", 40, 4, seed)
        rng = np.random.default_rng(seed)
        t = base.products
        pts = base.points
        n = len(t)
        held_src = rng.choice(len(pts), size=6)
        held_snk = (held_src + rng.integers(1, len(pts), size=6)) % len(pts)
        held_mw = np.round(rng.uniform(1.0, 20.0, size=6), 1)
        held_opt = np.array([True, True, True, False, False, False])
        problem = build_problem(
            [*t.ids, "s0", "s1"],
            [pts[i] for i in t.source] + [pts[held_src[0]], pts[held_src[1]]],
            [pts[i] for i in t.sink] + [pts[held_snk[0]], pts[held_snk[1]]],
            [*t.mw_max, held_mw[0], held_mw[1]],
            [*t.value, -1.0, -3.0],
            [*(rng.random(n) < 0.25), True, True],
            is_sale=[False] * n + [True, True],
            fixed_sources=[pts[i] for i in held_src],
            fixed_sinks=[pts[i] for i in held_snk],
            fixed_mw=held_mw,
            fixed_is_option=held_opt,
        )
        fast = solve(problem, grid, ClearingOptions(formulation=Formulation.ANGLE))
        ref = solve_reference(problem, grid)
        assert ref.optimal
        assert fast.surplus == pytest.approx(ref.surplus, rel=1e-6)
        assert check_awards(problem, grid, fast.product_mw, 1e-5).amount_mw.size == 0
        assert fast.revenue == pytest.approx(fast.revenue_from_constraints, rel=1e-9, abs=1e-6)

    @staticmethod
    def _compare(grid: NetworkGrid, problem: ClearingProblem) -> None:
        fast = solve(problem, grid)
        ref = solve_reference(problem, grid)
        assert ref.optimal
        assert fast.surplus == pytest.approx(ref.surplus, rel=1e-6)
        assert len(fast.binding) > 0
        assert fast.active_rows < len(ref.row_constraint) / 10
        np.testing.assert_allclose(fast.point_prices, ref.point_prices, atol=1e-6)


class TestExport:
    @pytest.mark.parametrize("suffix", [".mps", ".lp"])
    def test_exported_model_resolves_to_the_same_surplus(self, tmp_path: Path, suffix: str) -> None:
        problem = three_bus_problem(6.0)
        path = export_model(problem, three_bus_grid(), tmp_path / f"auction{suffix}")
        h = highspy.Highs()
        h.silent()
        h.readModel(str(path))
        h.run()
        assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
        # MPS has no objective sense in free format, HiGHS reads it as written: compare magnitudes
        assert abs(h.getInfo().objective_function_value) == pytest.approx(1404.0, abs=1e-6)

    def test_unknown_format_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match=r"\.mps or \.lp"):
            export_model(three_bus_problem(), three_bus_grid(), tmp_path / "auction.txt")


class TestIslandingAndOutages:
    @pytest.mark.parametrize("outage", [(), ("1-2",)])
    def test_angle_rows_fall_back_on_islanding_contingencies(self, outage: tuple[str, ...]) -> None:
        # bus 4 hangs on 3-4 alone: losing 3-4 islands it (its injection is lost, the row is NODAL)
        net = build_network(
            "four_bus",
            ("1", "2", "3", "4"),
            (
                ("1-2", "1", "2", 0.1, 80.0),
                ("2-3", "2", "3", 0.1, 80.0),
                ("1-3", "1", "3", 0.1, 60.0),
                ("3-4", "3", "4", 0.05, 50.0),
            ),
            "3",
            contingencies=(Contingency("C34", ("3-4",)), Contingency("C12", ("1-2",))),
        )
        grid = NetworkGrid.build(net, PeriodConditions(scheduled_outages=outage))
        problem = build_problem(
            ["a", "b", "c", "d"],
            ["4", "1", "2", "3"],
            ["1", "3", "3", "4"],
            [70.0, 100.0, 90.0, 30.0],
            [9.0, 10.0, 8.0, 2.5],
        )
        ref = solve_reference(problem, grid)
        for formulation in (Formulation.ANGLE, Formulation.NODAL):
            fast = solve(problem, grid, ClearingOptions(formulation=formulation))
            assert fast.surplus == pytest.approx(ref.surplus, rel=1e-9)
            assert check_awards(problem, grid, fast.product_mw, 1e-5).amount_mw.size == 0


class TestCombinedSensitivities:
    def test_weighted_rows_in_one_solve_equal_the_weighted_sum_of_the_rows(self) -> None:
        # bus 4 hangs on 3-4 alone: rows of C34 cut it off and are combined apart from the others
        net = build_network(
            "four_bus",
            ("1", "2", "3", "4"),
            (
                ("1-2", "1", "2", 0.1, 80.0),
                ("2-3", "2", "3", 0.1, 80.0),
                ("1-3", "1", "3", 0.1, 60.0),
                ("3-4", "3", "4", 0.05, 50.0),
            ),
            "3",
            contingencies=(Contingency("C34", ("3-4",)), Contingency("C12", ("1-2",))),
        )
        grid = NetworkGrid.build(net, None)
        n_cons = len(grid.constraint_ids)
        cons = np.tile(np.arange(n_cons), 3)
        case = np.repeat(np.array([-1, 0, 1]), n_cons)
        coeffs = np.linspace(-2.0, 3.0, cons.size)
        inj = grid.injection_matrix(grid.bus_ids)
        want = coeffs @ grid.sensitivities(cons, case, inj)
        np.testing.assert_allclose(grid.combined_sensitivities(cons, case, coeffs, inj), want, atol=1e-12)
        # bus 4 is cut off in C34: its rows give bus 4 nothing, the others do
        c34 = case == 0
        alone = grid.combined_sensitivities(cons[c34], case[c34], coeffs[c34], inj)
        assert alone[grid.bus_ids.index("4")] == 0.0
        assert np.any(alone != 0.0)
