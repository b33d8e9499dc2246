"""The service's clearing snapshot keeps the hedge of holdings and offers (OA 7.3.6(a)-(b)).

the 3-bus grid: a MW from 1 to 3 puts 2/3 MW on line 1-3 (60 MW). Held options must stay
options in the base model (their counterflow relieves nothing) and an offered option is sold as an
option (only its adverse flow is released); treated as obligations the same book clears differently.
"""

from __future__ import annotations

import json

from app.clearing.engine import ClassSnapshot, FillRow, HoldingRow, OrderRow, clear_class
from network.examples import three_bus
from network.json_format import dump_network_json

DOCUMENT = json.dumps(dump_network_json(three_bus()))
BUY = OrderRow(1, 10, "buy", "1", "3", "obligation", 1000, 1000)  # B1: 100 MW 1->3 at 10 $/MW


def snapshot(orders: tuple[OrderRow, ...], holdings: tuple[HoldingRow, ...]) -> ClassSnapshot:
    return ClassSnapshot(1, "onpeak", DOCUMENT, (), (), orders, holdings)


def fills(s: ClassSnapshot) -> set[FillRow]:
    outcome = clear_class(s)
    assert outcome.status == "optimal"
    return set(outcome.fills)


class TestHeldOptionsInTheService:
    def test_counterflow_option_holding_makes_no_room(self) -> None:
        option = snapshot((BUY,), (HoldingRow(30, "3", "1", 300, "option"),))
        obligation = snapshot((BUY,), (HoldingRow(30, "3", "1", 300, "obligation"),))
        # as an option: 2/3 x <= 60, 90 MW at 10 $/MW; as an obligation it relieves 20 MW: 100 MW at 0
        assert fills(option) == {FillRow(1, 900, 1000)}
        assert fills(obligation) == {FillRow(1, 1000, 0)}
        assert option.fingerprint() != obligation.fingerprint()

    def test_offered_option_is_sold_as_an_option(self) -> None:
        sell = OrderRow(2, 20, "sell", "1", "3", "option", 300, 400)  # 30 MW of the held option at 4 $/MW
        held = (HoldingRow(20, "1", "3", 300, "option"),)
        # selling releases the option's 20 MW adverse flow on 1-3: B1 gets 90 MW; the seller is paid the
        # option's price, 10 $/MW
        assert fills(snapshot((BUY, sell), held)) == {FillRow(1, 900, 1000), FillRow(2, 300, 1000)}

    def test_part_of_an_option_offered_leaves_the_rest_held(self) -> None:
        sell = OrderRow(2, 20, "sell", "1", "3", "option", 150, 1200)  # 15 of 30 MW, above the price
        held = (HoldingRow(20, "1", "3", 300, "option"),)
        # nothing sold: the full 30 MW option stays (20 MW adverse), B1 gets 60 MW
        assert fills(snapshot((BUY, sell), held)) == {FillRow(1, 600, 1000), FillRow(2, 0, 1000)}
