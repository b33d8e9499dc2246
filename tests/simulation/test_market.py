"""The multi-hour market: reproducibility, parallel = serial, per-hour outages, settlement tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from simulation import frames
from simulation.dcopf import OpfStatus
from simulation.market import MarketInputs, SimulationSettings, simulate_hours
from simulation.offers import offer_stack
from simulation.pricing_points import all_point_ids
from tests.simulation.grids import bus_weights, dense_constraints, make_network

START = datetime(2026, 7, 6, 4, tzinfo=UTC)  # HE01 of Monday 6 July 2026, EDT
HOURS = [START + timedelta(hours=i) for i in range(30)]


def inputs() -> MarketInputs:
    lines = [(0, 1, 0.1, 1000.0), (1, 2, 0.1, 1000.0), (0, 2, 0.1, 60.0)]
    gens = [(0, 500.0, 0.0, 10.0), (1, 500.0, 0.0, 20.0), (2, 500.0, 0.01, 30.0)]
    net = make_network(3, lines, gens, [0.0, 0.0, 300.0], reference=2)
    points = all_point_ids(net)
    return MarketInputs(
        bus_ids=net.bus_ids,
        peak_demand_mw=net.bus_demand_mw,
        offers=offer_stack(net),
        point_ids=points,
        point_weights=bus_weights(net, points),
        topologies={(): dense_constraints(net), ("1",): dense_constraints(net, out=(0,))},
    )


class TestReproducibility:
    def test_parallel_run_equals_serial_run(self) -> None:
        serial = simulate_hours(inputs(), HOURS, SimulationSettings(seed=3, workers=1, chunk_hours=5))
        parallel = simulate_hours(inputs(), HOURS, SimulationSettings(seed=3, workers=2, chunk_hours=5))
        pd.testing.assert_frame_equal(frames.prices_frame(serial), frames.prices_frame(parallel))
        pd.testing.assert_frame_equal(frames.binding_frame(serial), frames.binding_frame(parallel))

    @pytest.mark.slow
    def test_spawned_workers_give_the_same_prices(self) -> None:
        run = SimulationSettings(seed=3, workers=2, chunk_hours=6, start_method="spawn")
        spawned = simulate_hours(inputs(), HOURS[:12], run)
        serial = simulate_hours(inputs(), HOURS[:12], SimulationSettings(seed=3))
        pd.testing.assert_frame_equal(frames.prices_frame(spawned), frames.prices_frame(serial))

    def test_seed_changes_loads(self) -> None:
        a = frames.hours_frame(simulate_hours(inputs(), HOURS[:3], SimulationSettings(seed=1)))
        b = frames.hours_frame(simulate_hours(inputs(), HOURS[:3], SimulationSettings(seed=2)))
        assert not np.allclose(a["load_mw"], b["load_mw"])


class TestTables:
    def test_settlement_formats(self) -> None:
        result = simulate_hours(inputs(), HOURS[:4], SimulationSettings(seed=0))
        prices = frames.prices_frame(result)
        charges = frames.charges_frame(result)
        assert list(prices.columns) == ["hour_ending", "node", "price"]
        assert list(charges.columns) == ["hour_ending", "da_congestion"]
        assert str(prices["hour_ending"].dt.tz) == "UTC"
        assert len(prices) == 4 * 3
        assert prices["hour_ending"].iloc[0].isoformat() == "2026-07-06T04:00:00+00:00"
        components = frames.components_frame(result)
        np.testing.assert_allclose(
            components["price"], components["energy"] + components["congestion"] + components["loss"]
        )

    def test_charges_equal_binding_rent_per_hour(self) -> None:
        result = simulate_hours(inputs(), HOURS, SimulationSettings(seed=5))
        binding = frames.binding_frame(result)
        charges = frames.charges_frame(result).set_index("hour_ending")["da_congestion"]
        rent = binding.groupby("hour_ending")["rent"].sum().reindex(charges.index, fill_value=0.0)
        np.testing.assert_allclose(rent.to_numpy(), charges.to_numpy(), rtol=1e-7, atol=1e-5)
        assert (charges > 0).any()

    def test_extra_outage_applies_to_its_hour_only(self) -> None:
        hour = HOURS[10]
        result = simulate_hours(inputs(), HOURS[9:12], SimulationSettings(seed=0), {hour: ["1"]})
        table = frames.hours_frame(result)
        assert table["outages"].tolist() == ["", "1", ""]
        assert (table["status"] == OpfStatus.OPTIMAL.value).all()
        prices = frames.prices_frame(result)
        at = prices[prices["hour_ending"] == pd.Timestamp(hour)]
        # with 1-2 out, bus 2 is only tied to bus 3 and shares its price
        assert at["price"].iloc[1] == pytest.approx(at["price"].iloc[2], abs=1e-6)

    def test_unknown_outage_set_is_rejected_naming_the_hour(self) -> None:
        with pytest.raises(KeyError, match="2026-07-06T05:00:00"):
            simulate_hours(inputs(), HOURS[:2], extra_outages={HOURS[1]: ["2"]})
