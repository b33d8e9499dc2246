"""Period classes cleared side by side: the same results as one after the other, progress by class."""

from __future__ import annotations

import pytest

from auction.bids import Bid, Offer
from auction.classes import ClassBook, clear_classes
from auction.clearing import AuctionResult, clear_auction
from feasibility.progress import Phase, ProgressEvent
from network.examples import three_bus

ONPEAK = [
    Bid("B1", "P", "1", "3", 100.0, 10.0),
    Bid("B2", "P", "2", "3", 100.0, 8.0),
    Bid("B3", "Q", "3", "1", 30.0, 1.0),
]
OFFPEAK = [Bid("C1", "P", "1", "3", 80.0, 4.0), Bid("C2", "R", "2", "1", 20.0, 2.0)]


def _same_awards(got: AuctionResult, want: AuctionResult) -> None:
    assert [(a.id, a.mw_awarded) for a in got.awards] == [(a.id, a.mw_awarded) for a in want.awards]
    assert [a.price for a in got.awards] == pytest.approx([a.price for a in want.awards], abs=1e-9)


class TestClearClasses:
    def test_two_processes_give_each_class_its_own_clearing(self) -> None:
        net = three_bus()
        books = [ClassBook("onpeak", ONPEAK), ClassBook("offpeak", OFFPEAK)]
        seen: list[tuple[str, ProgressEvent]] = []
        both = clear_classes(net, books, processes=2, progress=lambda label, e: seen.append((label, e)))
        assert list(both) == ["onpeak", "offpeak"]
        for book in books:
            alone = clear_auction(net, book.bids)
            _same_awards(both[book.label], alone)
            assert both[book.label].summary["surplus"] == pytest.approx(alone.summary["surplus"], rel=1e-12)
            # the large row sensitivities stay in the worker
            assert both[book.label].clearing.lp_rows is None
            phases = [e.phase for label, e in seen if label == book.label]
            assert phases[0] is Phase.BUILD and phases[-1] is Phase.PRICES

    def test_one_process_clears_in_order_with_the_class_base_model(self) -> None:
        net = three_bus()
        offer = Offer("O1", "H", "1", "3", 21.0, 6.0)
        books = [ClassBook("onpeak", ONPEAK, offers=[offer]), ClassBook("offpeak", OFFPEAK)]
        seen: list[str] = []
        got = clear_classes(net, books, processes=1, progress=lambda label, e: seen.append(label))
        alone = clear_auction(net, ONPEAK, [offer])
        _same_awards(got["onpeak"], alone)
        assert got["onpeak"].summary["counts"]["offers"] == 1
        assert got["offpeak"].summary["counts"]["offers"] == 0
        assert seen.index("offpeak") > max(i for i, label in enumerate(seen) if label == "onpeak")

    def test_labels_must_be_unique(self) -> None:
        with pytest.raises(ValueError, match="unique"):
            clear_classes(three_bus(), [ClassBook("a", ONPEAK), ClassBook("a", OFFPEAK)], processes=1)
