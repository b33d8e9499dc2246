"""The 3-bus worked example of docs/rules.md through ``clear_auction``: awards, pro rata, prices, money."""

from __future__ import annotations

import pytest

from auction.bids import Bid, BidError, HeldFtr, Offer
from auction.clearing import AuctionResult, clear_auction
from feasibility.result import Status
from network.examples import three_bus
from network.model import PeriodConditions

BIDS = (
    Bid("B1", "P", "1", "3", 100.0, 10.0),
    Bid("B2", "P", "2", "3", 100.0, 8.0),
    Bid("B3", "Q", "3", "1", 30.0, 1.0),
    Bid("B4", "R", "1", "3", 40.0, 10.0),
)


def awarded(result: AuctionResult) -> dict[str, float]:
    return {a.id: a.mw_awarded for a in result.awards}


def prices(result: AuctionResult) -> dict[str, float]:
    return {a.id: a.price for a in result.awards}


class TestWorkedExample:
    def test_awards_with_pro_rata_split(self) -> None:
        result = clear_auction(three_bus(), BIDS)
        assert result.status is Status.OPTIMAL
        assert awarded(result) == {"B1": 50.0, "B2": 100.0, "B3": 30.0, "B4": 20.0}

    def test_path_prices(self) -> None:
        result = clear_auction(three_bus(), BIDS)
        assert prices(result) == pytest.approx({"B1": 10.0, "B2": 5.0, "B3": -10.0, "B4": 10.0}, abs=1e-9)
        assert result.nodal_prices == pytest.approx({"1": -10.0, "2": -5.0, "3": 0.0}, abs=1e-9)

    def test_binding_constraint_and_money(self) -> None:
        result = clear_auction(three_bus(), BIDS)
        (b,) = result.binding_constraints
        assert b.constraint_id == "1-3" and b.contingency_id is None and b.direction == 1
        assert b.shadow_price == pytest.approx(15.0, abs=1e-9)
        s = result.summary
        assert s["auction_revenue"] == pytest.approx(900.0, abs=1e-6)
        assert s["surplus"] == pytest.approx(1530.0, abs=1e-6)
        assert s["checks"]["awards_feasible"] is True
        assert s["checks"]["revenue_identity_ok"] is True
        assert s["checks"]["price_fill_violations"] == 0

    def test_offer_above_clearing_price_stays_in_model(self) -> None:
        result = clear_auction(three_bus(), BIDS, [Offer("O1", "H", "1", "3", 21.0, 12.0)])
        assert awarded(result) == {"B1": 35.0, "B2": 100.0, "B3": 30.0, "B4": 14.0, "O1": 0.0}
        assert prices(result)["O1"] == pytest.approx(10.0, abs=1e-9)
        assert result.summary["counts"]["offers_sold"] == 0

    def test_offer_below_clearing_price_sold(self) -> None:
        result = clear_auction(three_bus(), BIDS, [Offer("O1", "H", "1", "3", 21.0, 6.0)])
        assert awarded(result) == {"B1": 50.0, "B2": 100.0, "B3": 30.0, "B4": 20.0, "O1": 21.0}
        assert prices(result)["O1"] == pytest.approx(10.0, abs=1e-9)
        assert result.summary["paid_to_sellers"] == pytest.approx(210.0, abs=1e-6)
        assert result.summary["auction_revenue"] == pytest.approx(690.0, abs=1e-6)

    def test_held_ftr_not_offered_uses_capacity(self) -> None:
        # the same 21 MW held but not offered: identical to the unsold offer
        result = clear_auction(three_bus(), BIDS, held=[HeldFtr("H", "1", "3", 21.0)])
        assert awarded(result) == {"B1": 35.0, "B2": 100.0, "B3": 30.0, "B4": 14.0}

    def test_bid_order_does_not_matter(self) -> None:
        a = clear_auction(three_bus(), BIDS)
        b = clear_auction(three_bus(), tuple(reversed(BIDS)))
        assert awarded(a) == awarded(b)
        assert prices(a) == prices(b)
        assert a.summary["input_hash"] == b.summary["input_hash"]

    def test_award_price_is_the_clearing_price_not_the_bid(self) -> None:
        # OA 7.3.7/7.3.8: B2 bid 8 and pays 5; B3 bid 1 and is paid 10
        result = clear_auction(three_bus(), BIDS)
        assert prices(result)["B2"] == pytest.approx(5.0, abs=1e-9)
        assert prices(result)["B3"] == pytest.approx(-10.0, abs=1e-9)


class TestPeriodConditions:
    def test_loop_flow_uses_capacity(self) -> None:
        # 14 MW of loop flow on 1-3 is what the unsold 21 MW offer put there: same awards
        conditions = PeriodConditions(loop_flow_mw={"1-3": 14.0})
        result = clear_auction(three_bus(), BIDS, conditions=conditions)
        assert awarded(result) == {"B1": 35.0, "B2": 100.0, "B3": 30.0, "B4": 14.0}
        assert result.binding_constraints[0].fixed_flow_mw == pytest.approx(14.0, abs=1e-9)
        assert result.summary["auction_revenue"] == pytest.approx(15.0 * 46.0, abs=1e-6)

    def test_scheduled_outage_changes_the_topology(self) -> None:
        # with 1-2 out, 1 -> 3 flows only on 1-3 (60 MW) and 2 -> 3 only on 2-3
        conditions = PeriodConditions(scheduled_outages=("1-2",))
        result = clear_auction(three_bus(), BIDS, conditions=conditions)
        got = awarded(result)
        assert got["B2"] == 100.0
        assert got["B1"] + got["B4"] - got["B3"] == pytest.approx(60.0, abs=1e-9)
        assert got["B3"] == 30.0
        assert prices(result)["B2"] == pytest.approx(0.0, abs=1e-9)
        assert prices(result)["B1"] == pytest.approx(10.0, abs=1e-9)

    def test_contingency_uses_emergency_rating(self) -> None:
        # losing 1-2 puts all of 1 -> 3 on 1-3 (no emergency rating: the normal 60 MW applies)
        result = clear_auction(three_bus(), BIDS, contingencies="all")
        assert result.status is Status.OPTIMAL
        assert result.summary["checks"]["awards_feasible"] is True
        assert any(b.contingency_id is not None for b in result.binding_constraints)
        assert result.summary["checks"]["revenue_identity_ok"] is True


class TestBadInput:
    def test_mw_not_in_tenths_is_rejected(self) -> None:
        with pytest.raises(BidError, match=r"B9.*0\.1 MW"):
            clear_auction(three_bus(), [Bid("B9", "P", "1", "3", 10.05, 1.0)])

    def test_duplicate_ids_are_rejected(self) -> None:
        with pytest.raises(BidError, match="B1"):
            clear_auction(three_bus(), [BIDS[0], BIDS[0]])
