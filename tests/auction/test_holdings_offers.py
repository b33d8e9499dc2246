"""Offers drawn on holdings (OA 7.3.5(b)): never more than held for the month, never the same MW twice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.auction_settlement import ClearedTrade, Side
from auction.holdings import OfferCheckStatus, OfferClaim, auction_result_postings, check_offer
from auction.ledger import Ledger, LedgerError, Origin, Posting
from auction.ledger_queries import Holding, holdings_at, minimum_position
from auction.transfers import accept_transfer, request_transfer, verify_transfer
from tests.auction.holdings_cases import JULY, grant, hour, key, ledger_with

T_BEFORE = datetime(2026, 6, 20, tzinfo=UTC)


class TestCheckOffer:
    def test_offer_up_to_the_holding(self) -> None:
        led = ledger_with(grant("A", key(), 210))
        verdict = check_offer(led, OfferClaim("o1", "A", key(), 210), [])
        assert verdict.accepted
        assert (verdict.held_tenths, verdict.available_tenths) == (210, 210)

    def test_more_than_held_refused(self) -> None:
        led = ledger_with(grant("A", key(), 210))
        verdict = check_offer(led, OfferClaim("o1", "A", key(), 211), [])
        assert verdict.status is OfferCheckStatus.EXCEEDS_AVAILABLE
        assert "21.1 MW" in verdict.reason and "21 MW available" in verdict.reason

    def test_nothing_held_refused(self) -> None:
        led = ledger_with(grant("A", key(), 210))
        assert check_offer(led, OfferClaim("o1", "B", key(), 1), []).status is OfferCheckStatus.NOT_HELD
        other_class = key(source="2")
        assert check_offer(led, OfferClaim("o1", "A", other_class, 1), []).status is OfferCheckStatus.NOT_HELD

    def test_same_mw_twice_refused_but_a_modification_is_not_counted_twice(self) -> None:
        led = ledger_with(grant("A", key(), 100))
        first = OfferClaim("o1", "A", key(), 60)
        assert check_offer(led, OfferClaim("o2", "A", key(), 50), [first]).status is (
            OfferCheckStatus.EXCEEDS_AVAILABLE
        )
        assert check_offer(led, OfferClaim("o2", "A", key(), 40), [first]).accepted
        assert check_offer(led, OfferClaim("o1", "A", key(), 100), [first]).accepted

    def test_mw_leaving_mid_month_cannot_be_offered_for_the_month(self) -> None:
        led = ledger_with(grant("A", key(), 100))
        led = led.append(
            [
                Posting("A", key(), -30, Origin.TRANSFER, hour(JULY, 400), "transfer:t1"),
                Posting("B", key(), 30, Origin.TRANSFER, hour(JULY, 400), "transfer:t1"),
            ]
        )
        assert (
            check_offer(led, OfferClaim("o1", "A", key(), 71), []).status
            is OfferCheckStatus.EXCEEDS_AVAILABLE
        )
        assert check_offer(led, OfferClaim("o1", "A", key(), 70), []).accepted
        assert check_offer(led, OfferClaim("o2", "B", key(), 1), []).status is OfferCheckStatus.NOT_HELD

    def test_zero_offer_refused(self) -> None:
        led = ledger_with(grant("A", key(), 100))
        assert check_offer(led, OfferClaim("o1", "A", key(), 0), []).status is OfferCheckStatus.NOT_POSITIVE


class TestAuctionResultPostings:
    def test_sale_and_award_post_from_the_first_hour(self) -> None:
        led = ledger_with(grant("S", key(), 210))
        trades = [
            ClearedTrade("a7", "S", Side.SELL, key(), 210, Decimal(10), "O1"),
            ClearedTrade("a7", "B", Side.BUY, key(), 150, Decimal(10), "B1"),
            ClearedTrade("a7", "C", Side.BUY, key(), 60, Decimal(10), "B4"),
        ]
        led = led.append(auction_result_postings(trades))
        assert holdings_at(led, hour(JULY, 0)) == (Holding("B", key(), 150), Holding("C", key(), 60))
        assert [e.origin for e in led.entries[1:]] == [
            Origin.SALE,
            Origin.AUCTION_AWARD,
            Origin.AUCTION_AWARD,
        ]
        assert led.entries[1].reference == "a7:O1"

    def test_selling_more_than_held_fails_as_a_batch(self) -> None:
        led = ledger_with(grant("S", key(), 100))
        trades = [
            ClearedTrade("a7", "B", Side.BUY, key(), 150, Decimal(10), "B1"),
            ClearedTrade("a7", "S", Side.SELL, key(), 150, Decimal(10), "O1"),
        ]
        with pytest.raises(LedgerError, match="S would hold -5 MW"):
            led.append(auction_result_postings(trades))


@settings(max_examples=60, deadline=None)
@given(
    held=st.integers(min_value=0, max_value=500),
    requests=st.lists(
        st.tuples(st.sampled_from(("o1", "o2", "o3", "o4")), st.integers(min_value=1, max_value=300)),
        max_size=12,
    ),
)
def test_accepted_offers_never_oversell(held: int, requests: list[tuple[str, int]]) -> None:
    """Offers arrive one by one (new or modified); whatever was accepted never exceeds the holding,
    and selling all of it always posts."""
    led = ledger_with(grant("A", key(), held)) if held else Ledger()
    book: dict[str, OfferClaim] = {}
    for offer_id, tenths in requests:
        claim = OfferClaim(offer_id, "A", key(), tenths)
        if check_offer(led, claim, book.values()).accepted:
            book[offer_id] = claim
        assert sum(o.mw_tenths for o in book.values()) <= minimum_position(led, "A", key())
    sold = [
        ClearedTrade("a", "A", Side.SELL, key(), o.mw_tenths, Decimal(1), o.offer_id) for o in book.values()
    ]
    bought = [
        ClearedTrade("a", "B", Side.BUY, key(), o.mw_tenths, Decimal(1), "b" + o.offer_id)
        for o in book.values()
    ]
    after = led.append(auction_result_postings([*sold, *bought]))
    assert minimum_position(after, "A", key()) == held - sum(o.mw_tenths for o in book.values())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("offer", "transfer")),
            st.sampled_from(("o1", "o2", "o3")),
            st.integers(min_value=1, max_value=200),
            st.integers(min_value=1, max_value=700),
        ),
        max_size=12,
    )
)
def test_offers_and_transfers_together_never_oversell(ops: list[tuple[str, str, int, int]]) -> None:
    """Offers and verified transfers interleaved: A's open offers always fit what A holds all month."""
    led = ledger_with(grant("A", key(), 300))
    book: dict[str, OfferClaim] = {}
    for i, (kind, offer_id, tenths, at) in enumerate(ops):
        if kind == "offer":
            claim = OfferClaim(offer_id, "A", key(), tenths)
            if check_offer(led, claim, book.values()).accepted:
                book[offer_id] = claim
        else:
            t = request_transfer(f"t{i}", "A", "B", [key()], tenths, hour(JULY, at), T_BEFORE)
            out = verify_transfer(accept_transfer(t, "B", T_BEFORE), led, book.values(), "oi", T_BEFORE)
            if out.verified:
                led = led.append(out.postings)
        assert sum(o.mw_tenths for o in book.values()) <= minimum_position(led, "A", key())
