"""The revenue-adequacy forecast on the 3-bus network, where every number is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from simulation.forecast import FtrPosition, OutageScenario, forecast_revenue_adequacy
from simulation.market import MarketInputs, SimulationSettings
from simulation.offers import offer_stack
from tests.simulation.grids import bus_weights, dense_constraints, make_network

START = datetime(2026, 7, 6, 4, tzinfo=UTC)  # HE01 of Monday 6 July 2026
HOURS = [START + timedelta(hours=i) for i in range(48)]
CLASSES = ["on_peak" if 8 <= (i % 24) + 1 <= 23 else "off_peak" for i in range(48)]
LINES = [(0, 1, 0.1, 1000.0), (1, 2, 0.1, 1000.0), (0, 2, 0.1, 60.0)]
GENS = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 20.0), (2, 500.0, 0.01, 30.0)]
NET = make_network(3, LINES, GENS, [0.0, 0.0, 300.0], reference=2)
# simultaneously feasible on the full topology, per class: 2/3*75 + 1/3*30 = 60 MW on 1-3
FTRS = [
    FtrPosition("P", "alpha", "1", "3", 75.0, "on_peak"),
    FtrPosition("Q", "beta", "2", "3", 30.0, "on_peak"),
    FtrPosition("R", "beta", "1", "3", 90.0, "off_peak"),
]


def topology_for(outages: tuple[str, ...]):
    return dense_constraints(NET, out=tuple(NET.branch_index(b) for b in outages))


def base() -> MarketInputs:
    points = NET.bus_ids
    return MarketInputs(
        bus_ids=NET.bus_ids,
        peak_demand_mw=NET.bus_demand_mw,
        offers=offer_stack(NET),
        point_ids=points,
        point_weights=bus_weights(NET, points),
        topologies={(): dense_constraints(NET)},
    )


class TestGivenScenario:
    def setup_method(self) -> None:
        self.report = forecast_revenue_adequacy(
            base(),
            topology_for,
            FTRS,
            HOURS,
            CLASSES,
            scenarios=[OutageScenario("line 1-2 out", ("1",), 0.1)],
            settings=SimulationSettings(seed=11),
        )

    def test_base_case_pays_in_full_and_outage_does_not(self) -> None:
        base_run, outage_run = self.report.scenarios
        assert base_run.scenario_id == "base" and base_run.probability == pytest.approx(0.9)
        for cls in base_run.classes:
            assert cls.hourly_ratio == pytest.approx(1.0, abs=1e-9)
        for cls in outage_run.classes:
            # with 1-2 out, 1-3 carries 60 MW for 75 (on) or 90 (off) MW of 1->3 FTRs at mu > 0
            assert cls.hourly_ratio < 1.0
        on = {c.period_class: c for c in outage_run.classes}["on_peak"]
        off = {c.period_class: c for c in outage_run.classes}["off_peak"]
        assert on.hourly_ratio == pytest.approx(60.0 / 75.0, abs=1e-6)
        assert off.hourly_ratio == pytest.approx(60.0 / 90.0, abs=1e-6)

    def test_expected_and_worst_ratios(self) -> None:
        outage_run = self.report.scenarios[1]
        for forecast, cls in zip(self.report.classes, outage_run.classes, strict=True):
            assert forecast.worst_scenario_id == "line 1-2 out"
            assert forecast.worst_hourly_ratio == pytest.approx(cls.hourly_ratio)
            assert forecast.expected_hourly_ratio == pytest.approx(0.9 + 0.1 * cls.hourly_ratio)
            assert forecast.expected_shortfall == pytest.approx(
                0.1 * (cls.target_allocation - cls.month_end_credit)
            )

    def test_cause_is_the_constraint_that_lost_capacity(self) -> None:
        top = self.report.causes[0]
        assert top.constraint_id == "3"
        assert top.worst_scenario_id == "line 1-2 out"
        outage_run = self.report.scenarios[1]
        total_short = sum(c.target_allocation - c.hourly_credit for c in outage_run.classes)
        # T - C = sum_k mu_k (H_k y - (f_k - o_k)): only 1-3 binds, so it explains the whole shortfall
        assert top.worst_contribution == pytest.approx(total_short, rel=1e-6)

    def test_most_exposed_ftr_is_the_1_to_3_path(self) -> None:
        exposed = [e.ftr_id for e in self.report.exposed]
        assert exposed[0] in {"P", "R"}
        q = next(e for e in self.report.exposed if e.ftr_id == "Q")
        assert q.expected_shortfall == pytest.approx(0.0, abs=1e-6)


def test_automatic_scenarios_outage_the_most_binding_branch() -> None:
    report = forecast_revenue_adequacy(
        base(),
        topology_for,
        FTRS,
        HOURS[:24],
        CLASSES[:24],
        outageable_branches=NET.branch_ids,
        n_auto=1,
        auto_probability=0.2,
    )
    assert [s.scenario_id for s in report.scenarios] == ["base", "outage 3"]
    assert report.scenarios[0].probability == pytest.approx(0.8)
    assert np.isfinite([c.expected_month_end_ratio for c in report.classes]).all()


def test_probabilities_above_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="sum to <= 1"):
        forecast_revenue_adequacy(
            base(), topology_for, FTRS, HOURS[:2], CLASSES[:2], scenarios=[OutageScenario("x", ("1",), 1.5)]
        )


def test_unknown_ftr_point_is_named() -> None:
    bad = [FtrPosition("Z", "h", "1", "HUB", 1.0, "on_peak")]
    with pytest.raises(KeyError, match="HUB"):
        forecast_revenue_adequacy(base(), topology_for, bad, HOURS[:2], CLASSES[:2], scenarios=[])
