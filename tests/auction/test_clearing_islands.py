"""Clearing when an outage or a contingency islands the reference bus: the summary says what is dropped."""

from __future__ import annotations

import logging

import pytest

from auction.bids import Bid
from auction.clearing import clear_auction
from network.model import PeriodConditions
from tests.network.test_islands import tail_network

BIDS = [
    Bid("B1", "P", "1", "3", 300.0, 10.0),
    Bid("B2", "P", "6", "2", 50.0, 4.0),
    Bid("B3", "Q", "4", "2", 80.0, 6.0),
]


def test_contingency_islanding_the_reference_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="feasibility.network_grid"):
        result = clear_auction(tail_network(), BIDS)
    islands = result.summary["islands"]
    assert islands["reference_bus"] == "6" and not islands["reference_moved"]
    moved = {m["contingency"]: m for m in islands["moved_reference_contingencies"]}
    assert set(moved) == {"tail", "tail+a"}
    assert moved["tail"] == {"contingency": "tail", "reference_bus": "3", "dropped_buses": ["5", "6"]}
    assert islands["islanding_contingencies"] == 3
    assert result.summary["checks"]["awards_feasible"] is True
    assert "contingency 'tail' leaves the reference bus on a smaller island" in caplog.text


def test_scheduled_outage_islanding_the_reference_moves_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="feasibility.network_grid"):
        result = clear_auction(tail_network(), BIDS, conditions=PeriodConditions(scheduled_outages=("t1",)))
    islands = result.summary["islands"]
    assert islands["network_reference_bus"] == "6"
    assert islands["reference_bus"] == "3" and islands["reference_moved"] is True
    assert islands["cut_off_buses"] == [{"bus": "5", "priced_as": "4"}, {"bus": "6", "priced_as": "4"}]
    assert result.nodal_prices["6"] == pytest.approx(result.nodal_prices["4"], abs=1e-9)
    assert result.nodal_prices["3"] == pytest.approx(0.0, abs=1e-9)
    assert result.summary["checks"]["awards_feasible"] is True
    assert "leave reference bus 6 on a smaller island" in caplog.text
