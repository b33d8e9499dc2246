"""The forecast's payout is what the settlement engine pays on the same simulated month.

A regression test: :mod:`simulation.payout` calls the settlement rules (OA 5.2.5, 5.2.6(a)) rather
than holding a copy, and this keeps the way it lays the simulated month out for them equal to what
``settlement.settle_month`` does with the same month (fast: about a second, so it is in the default run).

The project's 3-bus example network (docs/rules.md) with line 1-2 out for the month (the auction did
not model it): the month the forecast simulates is settled by ``settlement.settle_month`` from the
simulator's price and charge tables; target allocations, hourly credits and month-end credits (after
OA 5.2.6(a)) agree per class, in total and per holder.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from market_calendar import PeriodClass, period_class_of
from settlement.charges import hourly_charges
from settlement.month import settle_month
from settlement.positions import FtrRecord
from settlement.prices import prices_from_long
from simulation import frames
from simulation.forecast import forecast_revenue_adequacy
from simulation.market import SimulationSettings, simulate_hours
from simulation.monthly import month_hours
from simulation.payout import month_payout
from tests.simulation.test_forecast import FTRS, base, topology_for

YEAR, MONTH = 2026, 2


def test_forecast_scenario_equals_settlement_of_the_simulated_month() -> None:
    hours = month_hours(YEAR, MONTH)
    classes = [period_class_of(h).value for h in hours]
    run = SimulationSettings(seed=3, workers=2)
    # the month as the market runs it: line 1-2 out in every hour
    outaged = replace(base(), topologies={(): topology_for(("1",))})
    report = forecast_revenue_adequacy(
        outaged, topology_for, FTRS, hours, classes, scenarios=[], settings=run
    )
    scenario = report.scenarios[0]
    assert any(c.hourly_ratio < 1.0 for c in scenario.classes)

    result = simulate_hours(outaged, hours, run)
    price_rows = frames.prices_frame(result)
    charge_rows = frames.charges_frame(result)
    index = pd.DatetimeIndex(charge_rows["hour_ending"])
    prices = prices_from_long(price_rows["hour_ending"], price_rows["node"], price_rows["price"], index)
    charges = hourly_charges(index, charge_rows["da_congestion"].to_numpy())
    records = [FtrRecord(f.id, f.holder, f.source, f.sink, f.mw, PeriodClass(f.period_class)) for f in FTRS]
    settled = settle_month(YEAR, MONTH, records, prices, charges)

    credits = settled.position_credits()
    for cls in scenario.classes:
        rows = np.array([f.period_class == cls.period_class for f in FTRS])
        assert cls.target_allocation == pytest.approx(
            settled.target_allocation[rows].sum(), rel=1e-9, abs=1e-6
        )
        assert cls.hourly_credit == pytest.approx(credits[rows].sum(), rel=1e-9, abs=1e-6)
    settled_month_end = settled.holder_credit.sum(axis=1) + np.asarray(settled.distribution.monthly)
    assert sum(c.month_end_credit for c in scenario.classes) == pytest.approx(
        settled_month_end.sum(), rel=1e-9, abs=1e-6
    )

    # per holder, from the same arrays the forecast uses
    on_class = np.array([[c == f.period_class for f in FTRS] for c in classes])
    congestion = result.congestion()
    point = {p: i for i, p in enumerate(result.inputs.point_ids)}
    target = (
        np.column_stack(
            [f.mw * (congestion[:, point[f.sink]] - congestion[:, point[f.source]]) for f in FTRS]
        )
        * on_class
    )
    pay = month_payout(target, result.congestion_rent(), [f.holder for f in FTRS])
    for i, name in enumerate(settled.holders.names):
        mine = sum(v for f, v in zip(FTRS, pay.month_end_credit, strict=True) if f.holder == name)
        assert mine == pytest.approx(settled_month_end[i], rel=1e-9, abs=1e-6)
