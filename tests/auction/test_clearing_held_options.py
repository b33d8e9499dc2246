"""Options in the base model and offers to sell held options (OA 7.3.6(a)-(b)), on the 3-bus
grid (x = 0.1 on 1-2, 2-3, 1-3; 60 MW on 1-3; a MW from 1 to 3 puts 2/3 MW on 1-3).

A held option never relieves a constraint, so it must not make room for bids the way a counterflow
obligation does; selling a held option takes its adverse flow off the grid and nothing else, and its
seller is paid the option's price. Every case is computed by hand and checked against the Pyomo
reference formulation too.
"""

from __future__ import annotations

import numpy as np
import pytest

from auction.bids import Bid, HeldFtr, Offer
from auction.clearing import AuctionResult, _problem, clear_auction
from feasibility.reference import solve_reference
from market_terms import Hedge
from network.examples import three_bus
from tests.feasibility.grids import three_bus_grid

OPTION = Hedge.OPTION
B1 = Bid("B1", "P", "1", "3", 100.0, 10.0)


def outcome(result: AuctionResult) -> dict[str, tuple[float, float]]:
    return {a.id: (a.mw_awarded, round(a.price, 9) + 0.0) for a in result.awards}


def reference_mw(bids: list[Bid], offers: list[Offer], held: list[HeldFtr]) -> np.ndarray:
    ref = solve_reference(_problem(bids, offers, held), three_bus_grid())
    assert ref.optimal
    return ref.product_mw


class TestHeldOptions:
    def test_counterflow_option_held_makes_no_room(self) -> None:
        # held 3->1 option, 30 MW: as an obligation it would relieve 1-3 by 20 MW and B1 would get all
        # 100 MW at price 0; as an option it relieves nothing: 2/3 x <= 60, x = 90 MW at 10 $/MW
        held = [HeldFtr("H", "3", "1", 30.0, OPTION)]
        result = clear_auction(three_bus(), [B1], held=held)
        assert outcome(result) == {"B1": (90.0, 10.0)}
        (b,) = result.binding_constraints
        assert (b.constraint_id, b.direction) == ("1-3", 1)
        assert b.shadow_price == pytest.approx(15.0, abs=1e-9)
        assert b.fixed_flow_mw == pytest.approx(0.0, abs=1e-9)
        np.testing.assert_allclose(reference_mw([B1], [], held), [90.0], atol=1e-7)

    def test_counterflow_obligation_held_relieves(self) -> None:
        held = [HeldFtr("H", "3", "1", 30.0)]
        result = clear_auction(three_bus(), [B1], held=held)
        assert outcome(result) == {"B1": (100.0, 0.0)}
        assert result.binding_constraints == ()

    def test_prevailing_flow_option_held_takes_its_flow(self) -> None:
        # held 1->3 option, 30 MW: 20 MW adverse on 1-3; 2/3 x + 20 <= 60, x = 60 MW
        held = [HeldFtr("H", "1", "3", 30.0, OPTION)]
        result = clear_auction(three_bus(), [B1], held=held)
        assert outcome(result) == {"B1": (60.0, 10.0)}
        (b,) = result.binding_constraints
        assert b.fixed_flow_mw == pytest.approx(20.0, abs=1e-9)
        assert b.flow_mw == pytest.approx(60.0, abs=1e-9)
        assert result.summary["checks"]["revenue_identity_ok"] is True
        # revenue = mu (limit - fixed) = 15 x 40
        assert result.summary["auction_revenue"] == pytest.approx(600.0, abs=1e-6)

    def test_option_in_both_directions_counts_in_each(self) -> None:
        # options 1->3 (20 MW adverse one way) and 3->1 (20 MW the other way) do not cancel
        held = [HeldFtr("H", "1", "3", 30.0, OPTION), HeldFtr("K", "3", "1", 30.0, OPTION)]
        result = clear_auction(three_bus(), [B1], held=held)
        assert outcome(result) == {"B1": (60.0, 10.0)}
        np.testing.assert_allclose(reference_mw([B1], [], held), [60.0], atol=1e-7)


class TestOptionOffers:
    def test_sold_option_releases_its_adverse_flow(self) -> None:
        # held 1->3 option 30 MW offered at 4 $/MW: x - y <= 60 (2/3 x + 2/3 (30 - y) <= 60);
        # max 10 x - 4 y: y = 30 sold, x = 90; path price 10 = the option's price, paid to the seller
        offers = [Offer("O1", "H", "1", "3", 30.0, 4.0, OPTION)]
        result = clear_auction(three_bus(), [B1], offers)
        assert outcome(result) == {"B1": (90.0, 10.0), "O1": (30.0, 10.0)}
        s = result.summary
        assert s["paid_by_buyers"] == pytest.approx(900.0, abs=1e-6)
        assert s["paid_to_sellers"] == pytest.approx(300.0, abs=1e-6)
        # revenue = mu (limit - fixed) = 15 x (60 - 20): the offered option is in the base model
        assert s["auction_revenue"] == pytest.approx(600.0, abs=1e-6)
        assert s["checks"]["revenue_identity_ok"] is True
        assert s["checks"]["price_fill_violations"] == 0
        np.testing.assert_allclose(reference_mw([B1], offers, []), [90.0, 30.0], atol=1e-7)

    def test_option_offer_above_its_price_stays(self) -> None:
        offers = [Offer("O1", "H", "1", "3", 30.0, 12.0, OPTION)]
        result = clear_auction(three_bus(), [B1], offers)
        # unsold, the option keeps its 20 MW: x = 60
        assert outcome(result) == {"B1": (60.0, 10.0), "O1": (0.0, 10.0)}

    def test_counterflow_option_offer_is_worth_nothing_and_frees_nothing(self) -> None:
        # held 3->1 option offered at 1 $/MW: it loads only 1-3 reversed (slack), its price is 0, so it
        # is not sold; selling it as the reversed obligation 1->3 would have loaded 1-3 instead
        offers = [Offer("O1", "H", "3", "1", 30.0, 1.0, OPTION)]
        result = clear_auction(three_bus(), [B1], offers)
        assert outcome(result) == {"B1": (90.0, 10.0), "O1": (0.0, 0.0)}
        np.testing.assert_allclose(reference_mw([B1], offers, []), [90.0, 0.0], atol=1e-7)

    def test_identical_option_offers_share_pro_rata(self) -> None:
        # two offers of the same held option at 4 $/MW, 20 + 10 MW; a bid of 75 MW at 10 needs
        # 2/3 75 = 50 MW on 1-3 beside the held 20 MW adverse: 50 + 2/3 (30 - y) <= 60, y >= 15.
        # The sale is marginal: mu 2/3 = 4, so mu = 6 and the path price 4; 15 MW split 2:1
        b = Bid("B1", "P", "1", "3", 75.0, 10.0)
        offers = [
            Offer("O1", "H", "1", "3", 20.0, 4.0, OPTION),
            Offer("O2", "K", "1", "3", 10.0, 4.0, OPTION),
        ]
        result = clear_auction(three_bus(), [b], offers)
        assert outcome(result) == {"B1": (75.0, 4.0), "O1": (10.0, 4.0), "O2": (5.0, 4.0)}
        (row,) = result.binding_constraints
        assert row.shadow_price == pytest.approx(6.0, abs=1e-9)

    def test_option_and_obligation_offers_of_one_path_are_different_products(self) -> None:
        offers = [Offer("O1", "H", "3", "1", 30.0, 1.0, OPTION), Offer("O2", "H", "3", "1", 30.0, 1.0)]
        p = _problem([B1], offers, [])
        assert list(p.products.is_sale) == [False, True, False]
        # the obligation offer is the reversed path 1->3, the option offer its held path 3->1
        pts = p.points
        assert (pts[p.products.source[1]], pts[p.products.sink[1]]) == ("3", "1")
        assert (pts[p.products.source[2]], pts[p.products.sink[2]]) == ("1", "3")
