"""The market's constraints built through the network API agree with a textbook dense PTDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from network.model import PeriodConditions
from simulation import frames
from simulation.dcopf import OpfStatus, solve_dcopf
from simulation.market import SimulationSettings
from simulation.monthly import month_hours, simulate_day_ahead, simulate_month
from simulation.network_adapter import constraint_model, market_inputs
from simulation.offers import offer_stack
from tests.simulation.grids import dense_constraints, make_network, random_network

LINES = [(0, 1, 0.1, 1000.0), (1, 2, 0.1, 1000.0), (0, 2, 0.1, 60.0), (1, 3, 0.1, 100.0)]
GENS = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 20.0), (2, 500.0, 0.01, 30.0), (3, 50.0, 0.0, 1.0)]


def four_bus():
    return make_network(4, LINES, GENS, [0.0, 0.0, 300.0, 25.0], reference=2)


@settings(max_examples=25, deadline=None)
@given(n_bus=st.integers(2, 8), seed=st.integers(0, 2**32 - 1))
def test_sensitivities_match_a_dense_ptdf(n_bus: int, seed: int) -> None:
    net = random_network(n_bus, seed)
    model = constraint_model(net)
    reference = dense_constraints(net)
    assert model.constraint_ids == reference.constraint_ids
    np.testing.assert_allclose(model.sensitivity, reference.sensitivity, atol=1e-10)
    np.testing.assert_allclose(model.limit_mw, reference.limit_mw)
    assert model.priced.all()


def test_extra_outage_and_scheduled_outage_give_the_same_topology() -> None:
    net = four_bus()
    extra = constraint_model(net, PeriodConditions(), ("1",))
    scheduled = constraint_model(net, PeriodConditions(scheduled_outages=("1",)))
    assert extra.constraint_ids == scheduled.constraint_ids == ("2", "3", "4")
    np.testing.assert_allclose(extra.sensitivity, scheduled.sensitivity)


def test_loop_flow_is_kept_and_dropped_with_its_constraint() -> None:
    net = four_bus()
    conditions = PeriodConditions(loop_flow_mw={"3": 12.0, "1": 5.0})
    model = constraint_model(net, conditions)
    assert model.offset_mw[model.constraint_ids.index("3")] == 12.0
    without_1 = constraint_model(net, conditions, ("1",))
    assert "1" not in without_1.constraint_ids
    assert without_1.offset_mw[without_1.constraint_ids.index("3")] == 12.0


def test_islanding_outage_cuts_off_bus_priced_at_its_neighbour() -> None:
    net = four_bus()
    model = constraint_model(net, None, ("4",))
    assert model.priced.tolist() == [True, True, True, False]
    assert model.nearest_priced_bus[3] == 1
    sol = solve_dcopf(net.bus_demand_mw, offer_stack(net), model)
    assert sol.status is OpfStatus.OPTIMAL
    assert sol.unserved_cut_off_mw == pytest.approx(25.0)
    assert sol.lmp[3] == pytest.approx(sol.lmp[1], abs=1e-9)


def test_unknown_extra_outage_is_named() -> None:
    with pytest.raises(KeyError, match="'99'"):
        constraint_model(four_bus(), None, ("99",))


def test_simulate_day_ahead_with_an_islanding_hour() -> None:
    net = four_bus()
    start = datetime(2026, 7, 6, 4, tzinfo=UTC)
    hours = [start + timedelta(hours=i) for i in range(6)]
    result = simulate_day_ahead(
        net, None, hours, extra_outages={hours[2]: ["4"]}, settings=SimulationSettings()
    )
    table = frames.hours_frame(result)
    assert (table["status"] == "optimal").all()
    assert table["unserved_cut_off_mw"].iloc[2] > 0.0
    assert (table["unserved_cut_off_mw"].drop(index=2) == 0.0).all()
    assert set(frames.prices_frame(result)["node"]) == {"1", "2", "3", "4"}


def test_month_hours_follow_the_ept_calendar() -> None:
    assert market_inputs(four_bus()).point_ids == ("1", "2", "3", "4")
    assert len(month_hours(2026, 11)) == 721  # 30 days + the repeated hour when DST ends
    assert len(month_hours(2026, 3)) == 743  # 31 days - the hour skipped when DST starts


@pytest.mark.slow
def test_simulate_month_covers_every_ept_hour() -> None:
    net = four_bus()
    result = simulate_month(net, None, 2026, 2, settings=SimulationSettings(seed=4))
    assert len(result.hours) == 672
    assert all(h.status is OpfStatus.OPTIMAL for h in result.hours)
