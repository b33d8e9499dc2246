"""The day-ahead simulator and the forecast with the auction's N-1 rows, on a 3-bus triangle.

Lines 1-2, 2-3, 1-3 (equal reactance), 1-3 rated 250 MW, load 300 MW at bus 3 (reference), the
cheap unit at bus 1. In the base case 1-3 carries 2/3 of the transfer (200 MW): no congestion.
After the outage of line 1-2 it carries all of it, so the N-1 row (1-3 | 1-2 out) caps the
transfer at 250 MW: bus 1 prices at 10 $/MWh, buses 2 and 3 at the bus-3 unit's 30 + 2*0.01*50.
A 300 MW FTR 1->3, feasible in the base case, is then paid 250/300 of its target.
"""

from __future__ import annotations

import numpy as np
import pytest

from network.model import Contingency
from simulation.dcopf import OpfStatus, solve_dcopf
from simulation.forecast import FtrPosition, OutageScenario
from simulation.monthly import forecast_month
from simulation.network_adapter import constraint_model
from simulation.offers import offer_stack
from tests.simulation.grids import make_network

LINES = [(0, 1, 0.1, 1000.0), (1, 2, 0.1, 1000.0), (0, 2, 0.1, 250.0)]
GENS = [(0, 500.0, 0.0, 10.0), (2, 500.0, 0.01, 30.0)]
NET = make_network(3, LINES, GENS, [0.0, 0.0, 300.0], reference=2)
DEMAND_MW = np.array([0.0, 0.0, 300.0])
PRICE_3 = 30.0 + 2 * 0.01 * 50.0  # $/MWh: the bus-3 unit makes up the 50 MW the N-1 row holds back


def test_base_case_alone_is_uncongested() -> None:
    model = constraint_model(NET)
    assert set(model.contingency_ids) == {""}
    sol = solve_dcopf(DEMAND_MW, offer_stack(NET), model)
    assert sol.status is OpfStatus.OPTIMAL
    np.testing.assert_allclose(sol.lmp, 10.0, atol=1e-6)
    assert sol.binding.size == 0
    assert sol.congestion_rent_payments == pytest.approx(0.0, abs=1e-6)


def test_contingency_rows_carry_emergency_limits_and_post_outage_sensitivity() -> None:
    model = constraint_model(NET, contingencies="all")
    rows = {
        (c, k): i for i, (c, k) in enumerate(zip(model.constraint_ids, model.contingency_ids, strict=True))
    }
    row = rows[("3", "1")]  # line 1-3 after line 1-2 opens
    np.testing.assert_allclose(model.sensitivity[row], [1.0, 0.0, 0.0], atol=1e-9)
    assert model.limit_mw[row] == pytest.approx(250.0)
    # a contingency that opens the monitored branch itself leaves no row behind
    assert ("1", "1") not in rows and ("3", "3") not in rows


def test_n_1_row_binds_and_sets_prices_and_rent() -> None:
    model = constraint_model(NET, contingencies=[Contingency("line 1-2", ("1",))])
    sol = solve_dcopf(DEMAND_MW, offer_stack(NET), model)
    assert sol.status is OpfStatus.OPTIMAL
    binding = [(model.constraint_ids[k], model.contingency_ids[k]) for k in sol.binding]
    assert binding == [("3", "line 1-2")]
    np.testing.assert_allclose(sol.lmp, [10.0, PRICE_3, PRICE_3], atol=1e-5)
    np.testing.assert_allclose(sol.dispatch_mw, [250.0, 50.0], atol=1e-5)
    rent = (PRICE_3 - 10.0) * 250.0
    assert sol.congestion_rent_payments == pytest.approx(rent, rel=1e-6)
    assert sol.congestion_rent_constraints == pytest.approx(rent, rel=1e-6)


def test_forecast_names_the_n_1_constraint_of_the_shortfall() -> None:
    ftrs = [FtrPosition("F", "alpha", "1", "3", 300.0, "on_peak")]
    base_only = forecast_month(NET, None, ftrs, 2026, 7, scenarios=[])
    assert base_only.classes[0].expected_hourly_ratio == pytest.approx(1.0, abs=1e-9)
    assert not base_only.causes

    report = forecast_month(NET, None, ftrs, 2026, 7, scenarios=[], contingencies="all")
    ratio = report.classes[0].expected_hourly_ratio
    assert ratio < 1.0 - 1e-3
    # in the hours where the N-1 row binds, 250 of the 300 MW are funded
    assert ratio >= 250.0 / 300.0 - 1e-6
    top = report.causes[0]
    assert (top.constraint_id, top.contingency_id) == ("3", "1")
    short = report.classes[0].expected_target_allocation - report.scenarios[0].classes[0].hourly_credit
    assert top.expected_contribution == pytest.approx(short, rel=1e-6)


def test_forecast_takes_a_base_run_simulated_before() -> None:
    """A caller that simulated the month (every point priced, same contingencies and seed) hands the
    run to the forecast: the report is the one the forecast makes on its own, scenarios included."""
    from simulation.market import SimulationSettings
    from simulation.monthly import simulate_month

    ftrs = [FtrPosition("F", "alpha", "1", "3", 300.0, "on_peak")]
    scenarios = [OutageScenario("out 2-3", ("2",), 0.1)]
    run = SimulationSettings(seed=3)
    own = forecast_month(NET, None, ftrs, 2026, 7, scenarios=scenarios, contingencies="all", settings=run)
    month = simulate_month(NET, None, 2026, 7, settings=run, contingencies="all")
    assert len(month.inputs.point_ids) == 3  # every point, more than the FTR's two
    given = forecast_month(
        NET, None, ftrs, 2026, 7, scenarios=scenarios, contingencies="all", settings=run, base_result=month
    )
    assert given == own
    assert own.classes[0].expected_hourly_ratio < 1.0 - 1e-3  # the N-1 row binds in the base run

    with pytest.raises(ValueError, match="does not cover the forecast's hours"):
        forecast_month(NET, None, ftrs, 2026, 8, scenarios=[], contingencies="all", base_result=month)
