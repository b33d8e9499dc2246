"""Ledger entries to flat records and back, exactly; bad records named by field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction.ledger import FtrKey, Ledger, Origin, PeriodClass, Posting
from auction.ledger_records import entry_from_record, entry_to_record
from auction.ledger_time import DeliveryMonth
from market_terms import Hedge
from tests.auction.holdings_cases import hour


def test_record_by_hand() -> None:
    k = FtrKey(DeliveryMonth(2026, 7), PeriodClass.ON_PEAK, "1", "3", Hedge.OPTION)
    led = Ledger().append([Posting("A", k, 123, Origin.AUCTION_AWARD, hour(k.month, 0), "a7:b1")])
    assert entry_to_record(led.entries[0]) == {
        "seq": 1,
        "holder": "A",
        "month": "2026-07",
        "period_class": "on_peak",
        "source": "1",
        "sink": "3",
        "hedge": "option",
        "mw_tenths": 123,
        "origin": "auction_award",
        "effective_from": "2026-07-01T05:00:00Z",
        "reference": "a7:b1",
    }


@given(
    month=st.integers(min_value=1, max_value=12),
    at=st.integers(min_value=0, max_value=671),
    mw=st.integers(min_value=1, max_value=10**7),
    cls=st.sampled_from(tuple(PeriodClass)),
    hedge=st.sampled_from(tuple(Hedge)),
    origin=st.sampled_from(tuple(Origin)),
    holder=st.text(min_size=1, max_size=8),
)
def test_round_trip(
    month: int, at: int, mw: int, cls: PeriodClass, hedge: Hedge, origin: Origin, holder: str
) -> None:
    k = FtrKey(DeliveryMonth(2027, month), cls, "hub", "zone", hedge)
    led = Ledger().append([Posting(holder, k, mw, origin, hour(k.month, at), "ref")])
    e = led.entries[0]
    assert entry_from_record(entry_to_record(e)) == e


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"month": "2026-13"}, r"ledger record 1: month 13 is not in 1\.\.12"),
        ({"hedge": "swap"}, "ledger record 1: 'swap' is not a valid Hedge"),
        ({"mw_tenths": "12"}, "ledger record 1: mw_tenths must be an integer"),
        ({"holder": ""}, "ledger record 1: holder must be non-empty text"),
        ({"effective_from": "2026-07-01T05:30:00Z"}, "not on a whole hour"),
    ],
)
def test_bad_record_names_the_field(change: dict[str, object], message: str) -> None:
    k = FtrKey(DeliveryMonth(2026, 7), PeriodClass.ON_PEAK, "1", "3")
    led = Ledger().append([Posting("A", k, 1, Origin.TRANSFER, hour(k.month, 0), "t")])
    record: dict[str, object] = {**entry_to_record(led.entries[0]), **change}
    with pytest.raises(ValueError, match=message):
        entry_from_record(record)


def test_missing_fields_named() -> None:
    with pytest.raises(ValueError, match="ledger record 4: missing holder, month"):
        entry_from_record({"seq": 4})
