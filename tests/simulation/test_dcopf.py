"""The hourly DC-OPF: hand-checked prices, optimality conditions, conventions and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.dcopf import (
    FALLBACK_SOLVER_OPTIONS,
    PINNED_SOLVER_OPTIONS,
    DcOpfOptions,
    OpfStatus,
    solve_dcopf,
)
from simulation.offers import offer_stack
from simulation.topology import ConstraintModel
from tests.simulation.grids import dense_constraints, make_network, random_network

THREE_BUS_LINES = [(0, 1, 0.1, 1000.0), (1, 2, 0.1, 1000.0), (0, 2, 0.1, 60.0)]


def three_bus(reference: int = 2):
    gens = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 20.0), (2, 500.0, 0.01, 30.0)]
    return make_network(3, THREE_BUS_LINES, gens, [0.0, 0.0, 300.0], reference=reference)


class TestThreeBus:
    """The 3-bus network of docs/rules.md with a 300 MW load at bus 3 and line 1-3 limited to 60 MW.

    By hand: with 1-3 binding, bus 2 alone can send 180 MW (PTDF 1/3 on 1-3); bus 3's unit
    (0.02 p + 30) serves the remaining 120 MW at 32.4 $/MWh = lambda (reference bus 3); bus 2's
    price 20 (its unit is marginal): 20 = 32.4 - mu/3, so mu = 37.2; bus 1: 32.4 - 2/3 * 37.2 = 7.6
    < 10, so unit 1 stays off. Rent = 37.2 * 60 = 2232 = 300 * 32.4 - (180 * 20 + 120 * 32.4).
    """

    def test_dispatch_prices_and_rent(self) -> None:
        net = three_bus()
        sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net))
        assert sol.status is OpfStatus.OPTIMAL
        np.testing.assert_allclose(sol.dispatch_mw, [0.0, 180.0, 120.0], atol=1e-6)
        np.testing.assert_allclose(sol.lmp, [7.6, 20.0, 32.4], atol=1e-6)
        assert sol.energy_component == pytest.approx(32.4, abs=1e-6)
        np.testing.assert_allclose(sol.congestion_component, [7.6 - 32.4, 20.0 - 32.4, 0.0], atol=1e-6)
        assert [dense_constraints(net).constraint_ids[k] for k in sol.binding] == ["3"]
        np.testing.assert_allclose(sol.shadow_price, [37.2], atol=1e-6)
        np.testing.assert_allclose(sol.flow_mw, [60.0], atol=1e-6)
        assert sol.congestion_rent_constraints == pytest.approx(2232.0, abs=1e-4)
        assert sol.congestion_rent_payments == pytest.approx(2232.0, abs=1e-4)

    def test_reference_bus_moves_components_not_prices(self) -> None:
        base = solve_dcopf(
            three_bus(2).bus_demand_mw, offer_stack(three_bus(2)), dense_constraints(three_bus(2))
        )
        net = three_bus(0)
        other = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net))
        np.testing.assert_allclose(other.lmp, base.lmp, atol=1e-6)
        assert other.energy_component == pytest.approx(7.6, abs=1e-6)
        assert other.congestion_component[0] == pytest.approx(0.0, abs=1e-9)
        # the flow direction is unchanged, so the same limit binds with the same shadow price
        np.testing.assert_allclose(other.shadow_price, base.shadow_price, atol=1e-6)

    def test_negative_direction_limit_gives_negative_shadow_price(self) -> None:
        # load at bus 1, cheap unit at bus 3: flow on 1-3 runs 3 -> 1, against the branch direction
        gens = [(0, 500.0, 0.01, 30.0), (2, 500.0, 0.0, 10.0)]
        net = make_network(3, THREE_BUS_LINES, gens, [300.0, 0.0, 0.0], reference=2)
        sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net))
        assert sol.status is OpfStatus.OPTIMAL
        assert sol.flow_mw[0] == pytest.approx(-60.0, abs=1e-6)
        assert sol.shadow_price[0] < 0.0
        assert sol.congestion_rent_constraints == pytest.approx(sol.congestion_rent_payments, rel=1e-7)
        assert sol.congestion_rent_constraints > 0.0

    def test_initial_constraints_give_the_same_answer(self) -> None:
        net = three_bus()
        cold = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net))
        warm = solve_dcopf(
            net.bus_demand_mw, offer_stack(net), dense_constraints(net), initial_constraints=np.array([0, 2])
        )
        assert warm.iterations == 1
        np.testing.assert_allclose(warm.lmp, cold.lmp, atol=1e-7)

    def test_inputs_are_not_mutated(self) -> None:
        net = three_bus()
        demand = net.bus_demand_mw.copy()
        demand.setflags(write=True)
        before = demand.copy()
        offers = offer_stack(net)
        pmax = offers.pmax_mw.copy()
        solve_dcopf(demand, offers, dense_constraints(net))
        np.testing.assert_array_equal(demand, before)
        np.testing.assert_array_equal(offers.pmax_mw, pmax)


class TestScarcity:
    def test_shedding_caps_price_at_voll(self) -> None:
        net = make_network(2, [(0, 1, 0.1, 50.0)], [(0, 500.0, 0.0, 10.0)], [0.0, 80.0])
        sol = solve_dcopf(
            net.bus_demand_mw, offer_stack(net), dense_constraints(net), DcOpfOptions(voll_per_mwh=1000.0)
        )
        assert sol.status is OpfStatus.OPTIMAL
        assert sol.shed_mw[1] == pytest.approx(30.0, abs=1e-6)
        assert sol.lmp[1] == pytest.approx(1000.0, abs=1e-6)
        assert sol.lmp[0] == pytest.approx(10.0, abs=1e-6)
        assert sol.congestion_rent_payments == pytest.approx(990.0 * 50.0, rel=1e-8)
        assert sol.congestion_rent_constraints == pytest.approx(990.0 * 50.0, rel=1e-8)

    def test_shedding_is_cheaper_than_an_offer_above_voll(self) -> None:
        # a feasible hour without shedding, but bus 2's unit offers at 5000 $/MWh > VOLL
        gens = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 5000.0)]
        net = make_network(2, [(0, 1, 0.1, 50.0)], gens, [0.0, 80.0])
        sol = solve_dcopf(
            net.bus_demand_mw, offer_stack(net), dense_constraints(net), DcOpfOptions(voll_per_mwh=1000.0)
        )
        assert sol.status is OpfStatus.OPTIMAL
        np.testing.assert_allclose(sol.dispatch_mw, [50.0, 0.0], atol=1e-6)
        assert sol.shed_mw[1] == pytest.approx(30.0, abs=1e-6)
        assert sol.lmp[1] == pytest.approx(1000.0, abs=1e-6)

    def test_without_shedding_an_unservable_hour_is_infeasible(self) -> None:
        net = make_network(2, [(0, 1, 0.1, 50.0)], [(0, 500.0, 0.0, 10.0)], [0.0, 80.0])
        sol = solve_dcopf(
            net.bus_demand_mw, offer_stack(net), dense_constraints(net), DcOpfOptions(voll_per_mwh=None)
        )
        assert sol.status is OpfStatus.INFEASIBLE
        assert np.all(np.isnan(sol.lmp))

    def test_iteration_limit_is_a_status(self) -> None:
        net = three_bus()
        sol = solve_dcopf(
            net.bus_demand_mw, offer_stack(net), dense_constraints(net), DcOpfOptions(max_iterations=0)
        )
        assert sol.status is OpfStatus.ITERATION_LIMIT


def test_solver_failure_is_a_status_after_a_fallback_attempt() -> None:
    net = three_bus()
    options = DcOpfOptions(solver_options={**PINNED_SOLVER_OPTIONS, "time_limit": 0.0})
    sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net), options)
    assert sol.status is OpfStatus.SOLVER_ERROR
    for name, value in FALLBACK_SOLVER_OPTIONS.items():
        assert sol.solver_options[name] == value


def test_piecewise_linear_fallback_when_the_qp_fails() -> None:
    net = three_bus()
    options = DcOpfOptions(solver_options={**PINNED_SOLVER_OPTIONS, "qp_iteration_limit": 0})
    sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net), options)
    assert sol.status is OpfStatus.OPTIMAL
    assert sol.formulation == "piecewise_linear"
    # unit 3 (0.02 p + 30, 0..500 MW) in 20 segments of 25 MW: prices within 0.01 * 25 = 0.25
    np.testing.assert_allclose(sol.lmp, [7.6, 20.0, 32.4], atol=0.25)
    assert sol.dispatch_mw.sum() == pytest.approx(300.0, abs=1e-6)
    assert sol.congestion_rent_constraints == pytest.approx(sol.congestion_rent_payments, rel=1e-8)


class TestCutOffBus:
    def test_cut_off_bus_takes_nearest_price_and_its_load_is_unserved(self) -> None:
        # bus 4 hangs off bus 2 by branch 4, which is out: it is cut off, priced at bus 2
        lines = [*THREE_BUS_LINES, (1, 3, 0.1, 100.0)]
        gens = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 20.0), (2, 500.0, 0.01, 30.0), (3, 50.0, 0.0, 1.0)]
        net = make_network(4, lines, gens, [0.0, 0.0, 300.0, 25.0], reference=2)
        energised = dense_constraints(three_bus())
        model = ConstraintModel(
            constraint_ids=energised.constraint_ids,
            contingency_ids=energised.contingency_ids,
            sensitivity=np.hstack([energised.sensitivity, np.zeros((3, 1))]),
            limit_mw=energised.limit_mw,
            offset_mw=energised.offset_mw,
            priced=np.array([True, True, True, False]),
            reference_bus=2,
            nearest_priced_bus=np.array([0, 1, 2, 1]),
        )
        sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), model)
        assert sol.status is OpfStatus.OPTIMAL
        assert sol.unserved_cut_off_mw == pytest.approx(25.0)
        assert sol.dispatch_mw[3] == 0.0
        np.testing.assert_allclose(sol.lmp, [7.6, 20.0, 32.4, 20.0], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(n_bus=st.integers(2, 7), seed=st.integers(0, 2**32 - 1))
def test_optimality_conditions_on_random_networks(n_bus: int, seed: int) -> None:
    """KKT: marginal units price their bus, limits hold, rent forms agree, components add up."""
    net = random_network(n_bus, seed)
    model = dense_constraints(net)
    offers = offer_stack(net)
    sol = solve_dcopf(net.bus_demand_mw, offers, model)
    assert sol.status is OpfStatus.OPTIMAL
    flows = model.flows(sol.injection_mw)
    assert np.all(np.abs(flows) <= model.limit_mw + 1e-5)
    assert np.sum(sol.injection_mw) == pytest.approx(0.0, abs=1e-6)
    p = sol.dispatch_mw
    marginal_cost = 2.0 * offers.c2 * p + offers.c1
    lmp_at_gen = sol.lmp[offers.bus]
    scale = 1.0 + np.abs(lmp_at_gen)
    inside = (p > offers.pmin_mw + 1e-5) & (p < offers.pmax_mw - 1e-5)
    assert np.all(np.abs(marginal_cost - lmp_at_gen)[inside] <= 1e-5 * scale[inside])
    at_min = p <= offers.pmin_mw + 1e-5
    assert np.all(marginal_cost[at_min] >= lmp_at_gen[at_min] - 1e-5 * scale[at_min])
    at_max = p >= offers.pmax_mw - 1e-5
    assert np.all(marginal_cost[at_max] <= lmp_at_gen[at_max] + 1e-5 * scale[at_max])
    np.testing.assert_allclose(sol.lmp, sol.energy_component + sol.congestion_component, atol=1e-9)
    assert sol.congestion_component[model.reference_bus] == 0.0
    assert sol.congestion_rent_constraints == pytest.approx(sol.congestion_rent_payments, rel=1e-6, abs=1e-4)
    assert sol.congestion_rent_constraints >= -1e-6


class TestQuietSolver:
    def test_a_fresh_process_prints_no_solver_banner(self) -> None:
        """HiGHS prints its banner (from C) at the first instance a process creates; the OPF's is logged.

        The simulator runs first in ``ftr forecast`` and in every worker process of the day-ahead pool.
        """
        import subprocess
        import sys

        script = (
            "from tests.simulation.test_dcopf import three_bus\n"
            "from tests.simulation.grids import dense_constraints\n"
            "from simulation.dcopf import solve_dcopf\n"
            "from simulation.offers import offer_stack\n"
            "net = three_bus()\n"
            "sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), dense_constraints(net))\n"
            "print('lmp', [round(float(p), 6) for p in sol.lmp])\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["lmp [7.6, 20.0, 32.4]"], done.stdout
        assert "HiGHS" not in done.stderr
