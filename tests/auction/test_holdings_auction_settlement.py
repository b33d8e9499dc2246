"""Auction settlement (OA 7.3.8) on the worked example of docs/rules.md, and statements that add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction.auction_settlement import (
    ClearedTrade,
    Side,
    auction_statements,
    net_auction_revenue_cents,
    trade_amount_cents,
)
from auction.revenue_allocation import allocate_revenue_cents
from tests.auction.holdings_cases import key

AUCTION = "2026-07-on"


def trade(who: str, side: Side, source: str, sink: str, mw: int, price: str, ref: str) -> ClearedTrade:
    return ClearedTrade(AUCTION, who, side, key(source=source, sink=sink), mw * 10, Decimal(price), ref)


# docs/rules.md: prices 1->3 = 10, 2->3 = 5, 3->1 = -10; with the 21 MW 1->3 offer sold at 6:
# awards B1 50, B4 20 (1->3), B2 100 (2->3), B3 30 (3->1); seller S paid 10 $/MW x 21 MW.
EXAMPLE = (
    trade("P1", Side.BUY, "1", "3", 50, "10", "B1"),
    trade("P2", Side.BUY, "2", "3", 100, "5", "B2"),
    trade("P3", Side.BUY, "3", "1", 30, "-10", "B3"),
    trade("P1", Side.BUY, "1", "3", 20, "10", "B4"),
    trade("S", Side.SELL, "1", "3", 21, "10", "O1"),
)


class TestWorkedExample:
    def test_statements(self) -> None:
        by = {s.participant: s for s in auction_statements(EXAMPLE)}
        assert by["P1"].net_charge_cents == 70_000  # (50 + 20) MW x $10
        assert by["P2"].net_charge_cents == 50_000
        assert by["P3"].net_charge_cents == -30_000  # counterflow buyer is paid $300
        assert (by["S"].sales_cents, by["S"].net_charge_cents) == (21_000, -21_000)
        assert [ln.trade.reference for ln in by["P1"].lines] == ["B1", "B4"]

    def test_net_revenue(self) -> None:
        # Without the offer the buyers pay 15 $/MW x 60 MW = $900 (docs/rules.md). With it, buyers
        # pay the same $900 for 21 MW more, of which $210 goes to the seller.
        assert net_auction_revenue_cents(EXAMPLE[:4]) == 90_000
        assert net_auction_revenue_cents(EXAMPLE) == 69_000
        shares = allocate_revenue_cents(69_000, {"TO1": Decimal("2"), "TO2": Decimal("1")})
        assert shares == {"TO1": 46_000, "TO2": 23_000}


class TestRounding:
    def test_each_trade_rounds_half_to_even(self) -> None:
        # The one money rule (market_terms.money): ties to the even cent.
        # 0.1 MW x 0.125 $/MW = 0.0125 $ = 1.25 cents -> 1 cent; 0.1 MW x 0.15 = 1.5 cents -> 2.
        assert trade_amount_cents(trade("P", Side.BUY, "1", "3", 1, "0", "x")) == 0
        t = ClearedTrade(AUCTION, "P", Side.BUY, key(), 1, Decimal("0.125"), "x")
        assert trade_amount_cents(t) == 1
        t = ClearedTrade(AUCTION, "P", Side.BUY, key(), 1, Decimal("0.15"), "x")
        assert trade_amount_cents(t) == 2
        t = ClearedTrade(AUCTION, "P", Side.BUY, key(), 1, Decimal("-0.15"), "x")
        assert trade_amount_cents(t) == -2
        # 0.1 MW x 0.25 $/MW = 2.5 cents -> 2 (ties away from zero, the rule before, gave 3); -> -2.
        t = ClearedTrade(AUCTION, "P", Side.BUY, key(), 1, Decimal("0.25"), "x")
        assert trade_amount_cents(t) == 2
        t = ClearedTrade(AUCTION, "P", Side.BUY, key(), 1, Decimal("-0.25"), "x")
        assert trade_amount_cents(t) == -2

    def test_bad_trades_refused(self) -> None:
        with pytest.raises(ValueError, match="'x': mw_tenths"):
            ClearedTrade(AUCTION, "P", Side.BUY, key(), 0, Decimal(1), "x")
        with pytest.raises(ValueError, match="'x': price_per_mw"):
            ClearedTrade(AUCTION, "P", Side.BUY, key(), 1, 1.5, "x")  # type: ignore[arg-type]


trades = st.lists(
    st.builds(
        ClearedTrade,
        auction_id=st.sampled_from(("a1", "a2")),
        participant=st.sampled_from(("P", "Q", "R")),
        side=st.sampled_from(tuple(Side)),
        key=st.just(key()),
        mw_tenths=st.integers(min_value=1, max_value=100_000),
        price_per_mw=st.decimals(
            min_value=-5000, max_value=5000, places=4, allow_nan=False, allow_infinity=False
        ),
        reference=st.text(alphabet="bo0123456789", min_size=1, max_size=4),
    ),
    max_size=30,
)


@given(trades)
def test_statements_add_up_to_the_net_revenue(ts: list[ClearedTrade]) -> None:
    statements = auction_statements(ts)
    assert sum(len(s.lines) for s in statements) == len(ts)
    for s in statements:
        assert s.net_charge_cents == sum(ln.charge_cents for ln in s.lines)
        assert s.purchases_cents - s.sales_cents == s.net_charge_cents
    assert net_auction_revenue_cents(ts) == sum(
        trade_amount_cents(t) * (1 if t.side is Side.BUY else -1) for t in ts
    )
