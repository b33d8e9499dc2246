"""Revenue adequacy (OA 7.4): simultaneously feasible FTRs are covered by the day-ahead rent.

For FTR injections ``y`` feasible on the day-ahead constraints, ``|o + H y| <= F``, the hour's
total target allocation is ``sum_k mu_k H_k y`` and the rent ``sum_k mu_k (f_k - o_k)``; every
binding ``k`` has ``mu_k H_k y <= mu_k (f_k - o_k)``, so target allocations never exceed the rent.
An outage the auction did not model breaks the premise, and then the OA 5.2.5 pro-rata rule
decides who bears the shortfall.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.dcopf import OpfStatus, solve_dcopf
from simulation.market import MarketInputs, SimulationSettings, simulate_hours
from simulation.offers import offer_stack
from simulation.payout import hourly_credits
from tests.simulation.grids import bus_weights, dense_constraints, make_network, random_network

HOURS = [datetime(2026, 7, 6, 4, tzinfo=UTC) + timedelta(hours=7 * i) for i in range(4)]


def feasible_ftrs(
    sensitivity: np.ndarray, limit: np.ndarray, offset: np.ndarray, n_bus: int, seed: int
) -> list[tuple[int, int, float]]:
    """Random FTRs scaled down to be simultaneously feasible (and, usually, binding)."""
    rng = np.random.default_rng(seed)
    ftrs = []
    for _ in range(int(rng.integers(1, 7))):
        s, t = (int(v) for v in rng.choice(n_bus, size=2, replace=False))
        ftrs.append((s, t, float(rng.uniform(1.0, 200.0))))
    y = np.zeros(n_bus)
    for s, t, mw in ftrs:
        y[s] += mw
        y[t] -= mw
    flow = sensitivity @ y
    room = np.where(flow > 0, limit - offset, limit + offset)
    with np.errstate(divide="ignore"):
        ratios = np.where(np.abs(flow) > 1e-12, room / np.abs(flow), np.inf)
    scale = min(1.0, float(np.min(ratios))) if ratios.size else 1.0
    return [(s, t, mw * scale) for s, t, mw in ftrs]


@settings(max_examples=30, deadline=None)
@given(
    n_bus=st.integers(2, 7),
    seed=st.integers(0, 2**32 - 1),
    ftr_seed=st.integers(0, 2**32 - 1),
    with_loop_flow=st.booleans(),
)
def test_feasible_ftrs_are_covered_every_hour(
    n_bus: int, seed: int, ftr_seed: int, with_loop_flow: bool
) -> None:
    net = random_network(n_bus, seed)
    model = dense_constraints(net)
    if with_loop_flow:
        rng = np.random.default_rng(seed + 1)
        model = replace(model, offset_mw=rng.uniform(-0.4, 0.4, model.n_constraints) * model.limit_mw)
    ftrs = feasible_ftrs(model.sensitivity, model.limit_mw, model.offset_mw, n_bus, ftr_seed)
    points = net.bus_ids
    inputs = MarketInputs(
        bus_ids=net.bus_ids,
        peak_demand_mw=net.bus_demand_mw,
        offers=offer_stack(net),
        point_ids=points,
        point_weights=bus_weights(net, points),
        topologies={(): model},
    )
    result = simulate_hours(inputs, HOURS, SimulationSettings(seed=seed % 1000))
    for hour in result.hours:
        assert hour.status is OpfStatus.OPTIMAL
        lmp = hour.energy + hour.congestion
        total = sum(mw * (lmp[t] - lmp[s]) for s, t, mw in ftrs)
        tol = 1e-6 * (1.0 + abs(hour.congestion_rent_payments))
        assert total <= hour.congestion_rent_payments + tol
        assert hour.congestion_rent_payments == pytest.approx(
            hour.congestion_rent_constraints, rel=1e-6, abs=1e-4
        )


class TestUnmodelledOutage:
    """Line 1-2 of the 3-bus network is out in the day-ahead market but not in the auction.

    Auction topology: P holds 1->3 75 MW (50 MW on 1-3) and Q 2->3 30 MW (10 MW on 1-3): together
    exactly the 60 MW limit. Day ahead, with 1-2 out, 1 -> 3 can only use 1-3: bus 1's cheap unit
    (10 $/MWh) sends 60 MW, bus 2's unit (20 $/MWh) serves the rest; LMPs 10, 20, 20, mu = 10.
    Rent 600; P's target allocation 75 * 10 = 750, Q's 0: the hour is 150 short and OA 5.2.5
    pays each holder 600/750 of its target allocation.
    """

    def setup_method(self) -> None:
        lines = [(0, 1, 0.1, 1000.0), (1, 2, 0.1, 1000.0), (0, 2, 0.1, 60.0)]
        gens = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 20.0), (2, 500.0, 0.01, 30.0)]
        self.net = make_network(3, lines, gens, [0.0, 0.0, 300.0], reference=2)
        self.ftrs = [(0, 2, 75.0), (1, 2, 30.0)]

    def target(self, lmp: np.ndarray) -> np.ndarray:
        return np.array([mw * (lmp[t] - lmp[s]) for s, t, mw in self.ftrs])

    def test_ftrs_are_feasible_and_covered_on_the_auction_topology(self) -> None:
        full = dense_constraints(self.net)
        y = np.zeros(3)
        for s, t, mw in self.ftrs:
            y[s] += mw
            y[t] -= mw
        assert np.all(np.abs(full.sensitivity @ y) <= full.limit_mw + 1e-9)
        sol = solve_dcopf(self.net.bus_demand_mw, offer_stack(self.net), full)
        assert self.target(sol.lmp).sum() <= sol.congestion_rent_payments + 1e-6

    def test_outage_breaks_adequacy_and_shortfall_is_prorated(self) -> None:
        outaged = dense_constraints(self.net, out=(0,))
        sol = solve_dcopf(self.net.bus_demand_mw, offer_stack(self.net), outaged)
        np.testing.assert_allclose(sol.lmp, [10.0, 20.0, 20.0], atol=1e-6)
        assert sol.congestion_rent_payments == pytest.approx(600.0, abs=1e-4)
        ta = self.target(sol.lmp)
        np.testing.assert_allclose(ta, [750.0, 0.0], atol=1e-4)
        credits, excess = hourly_credits(ta[None, :], np.array([sol.congestion_rent_payments]))
        np.testing.assert_allclose(credits[0], [600.0, 0.0], atol=1e-4)
        assert excess[0] == pytest.approx(0.0, abs=1e-6)
