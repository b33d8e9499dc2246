"""The auction example of docs/rules.md end to end: holding, offer, clearing, postings, money, reversion."""

from __future__ import annotations

from auction.auction_settlement import ClearedTrade, Side, auction_statements, net_auction_revenue_cents
from auction.holdings import OfferClaim, auction_result_postings, check_offer
from auction.ledger import Origin
from auction.ledger_queries import Holding, holders_after_period, holdings_at
from auction.revenue_allocation import allocate_revenue_cents
from market_terms.money import posted_price
from market_terms.mw import tenths_from_solver_mw
from tests.auction.holdings_cases import AUGUST, JULY, grant, hour, key, ledger_with

# The clearing engine's floats for the July on-peak auction with S's 21 MW offered at 6 $/MW:
# (participant, side, source, sink, MW awarded, price $/MW, bid or offer id).
SOLVER_AWARDS = (
    ("P1", Side.BUY, "1", "3", 49.99999999997, 10.000000000002, "B1"),
    ("P2", Side.BUY, "2", "3", 100.0, 4.999999999999, "B2"),
    ("P3", Side.BUY, "3", "1", 30.0, -10.000000000002, "B3"),
    ("P4", Side.BUY, "1", "3", 20.00000000001, 10.000000000002, "B4"),
    ("S", Side.SELL, "1", "3", 21.0, 10.000000000002, "O1"),
)


def test_offer_sale_statements_revenue_and_reversion() -> None:
    # S holds 21 MW 1->3 for July and August (an allocation), and offers July's in the auction.
    led = ledger_with(grant("S", key(JULY), 210), grant("S", key(AUGUST), 210))
    offer = OfferClaim("O1", "S", key(JULY), 210)
    assert check_offer(led, offer, []).accepted
    assert not check_offer(led, OfferClaim("O2", "S", key(JULY), 1), [offer]).accepted

    trades = [
        ClearedTrade(
            "2026-07-on",
            who,
            side,
            key(JULY, source=s, sink=t),
            tenths_from_solver_mw(mw),
            posted_price(p),
            ref,
        )
        for who, side, s, t, mw, p, ref in SOLVER_AWARDS
    ]
    led = led.append(auction_result_postings(trades))

    # July: the buyers hold; S holds nothing.
    july = holdings_at(led, hour(JULY, 0))
    assert Holding("P1", key(JULY), 500) in july and Holding("P4", key(JULY), 200) in july
    assert not [h for h in july if h.holder == "S"]
    # The money: buyers 500 + 200 (x $10) + 100 x $5 - 30 x $10; the seller is paid 21 x $10.
    by = {s.participant: s.net_charge_cents for s in auction_statements(trades)}
    assert by == {"P1": 50_000, "P2": 50_000, "P3": -30_000, "P4": 20_000, "S": -21_000}
    net = net_auction_revenue_cents(trades)
    assert net == 69_000
    shares = allocate_revenue_cents(net, {"TO-east": 3, "TO-west": 4})
    assert shares == {"TO-east": 29_571, "TO-west": 39_429}  # 29571.43 / 39428.57
    # At the end of July the right reverts to S (OA 7.3.2).
    assert holders_after_period(led, "S", key(JULY)) == (Holding("S", key(AUGUST), 210),)
    assert [e.origin for e in led.entries if e.holder == "S"] == [
        Origin.NSU_ALLOCATION,
        Origin.NSU_ALLOCATION,
        Origin.SALE,
    ]
