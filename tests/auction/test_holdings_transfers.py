"""Bilateral transfers (OA 5.2.2(d)): the state machine and the OI's verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auction.holdings import OfferClaim
from auction.ledger import FtrKey, Origin
from auction.ledger_queries import Holding, holdings_at
from auction.transfers import (
    Transfer,
    TransferState,
    TransferStateError,
    accept_transfer,
    cancel_transfer,
    decline_transfer,
    request_transfer,
    transfer_postings,
    verify_transfer,
)
from tests.auction.holdings_cases import AUGUST, JULY, grant, hour, key, ledger_with

T_REQ = datetime(2026, 7, 5, 12, tzinfo=UTC)
MID = hour(JULY, 300)  # effective hour, after the request


def requested(mw: int = 200, keys: tuple[FtrKey, ...] = (key(),), effective: datetime = MID) -> Transfer:
    return request_transfer("t1", "A", "B", keys, mw, effective, T_REQ)


class TestStateMachine:
    def test_happy_path_moves_credits_from_the_effective_hour(self) -> None:
        led = ledger_with(grant("A", key(), 500, Origin.AUCTION_AWARD))
        t = accept_transfer(requested(), "B", T_REQ + timedelta(hours=1))
        out = verify_transfer(t, led, [], "oi", T_REQ + timedelta(hours=2))
        assert out.verified
        assert [e.state for e in out.transfer.events] == [
            TransferState.REQUESTED,
            TransferState.ACCEPTED,
            TransferState.VERIFIED,
        ]
        led = led.append(out.postings)
        assert holdings_at(led, MID - timedelta(hours=1)) == (Holding("A", key(), 500),)
        assert holdings_at(led, MID) == (Holding("A", key(), 300), Holding("B", key(), 200))

    def test_multi_month_transfer_later_months_from_their_first_hour(self) -> None:
        t = requested(keys=(key(AUGUST), key(JULY)))
        (a_jul, b_jul, a_aug, b_aug) = transfer_postings(t)
        assert (a_jul.mw_tenths, b_jul.mw_tenths, a_jul.effective_from) == (-200, 200, MID)
        assert a_aug.effective_from == AUGUST.first_hour_ending()
        assert a_jul.reference == b_aug.reference == "transfer:t1"

    def test_only_the_buyer_accepts_or_declines_and_only_the_seller_cancels(self) -> None:
        t = requested()
        with pytest.raises(TransferStateError, match="only the buyer B"):
            accept_transfer(t, "A", T_REQ)
        with pytest.raises(TransferStateError, match="only the seller A"):
            cancel_transfer(t, "B", T_REQ)
        assert decline_transfer(t, "B", T_REQ, "price").state is TransferState.DECLINED
        assert cancel_transfer(accept_transfer(t, "B", T_REQ), "A", T_REQ).state is TransferState.CANCELLED

    def test_no_step_out_of_a_final_state(self) -> None:
        done = decline_transfer(requested(), "B", T_REQ)
        with pytest.raises(TransferStateError, match="is declined: cannot become accepted"):
            accept_transfer(done, "B", T_REQ)
        with pytest.raises(TransferStateError, match="only an accepted transfer"):
            verify_transfer(requested(), ledger_with(), [], "oi", T_REQ)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"mw_tenths": 0}, "positive int"),
            ({"buyer": "A"}, "both 'A'"),
            ({"keys": ()}, "no FTR"),
            ({"effective_from": hour(AUGUST, 2)}, "ends before effective_from"),
        ],
    )
    def test_malformed_requests_refused(self, kwargs: dict[str, Any], message: str) -> None:
        args: dict[str, Any] = {
            "transfer_id": "t1",
            "seller": "A",
            "buyer": "B",
            "keys": (key(),),
            "mw_tenths": 10,
            "effective_from": MID,
            "at": T_REQ,
        }
        with pytest.raises(ValueError, match=message):
            request_transfer(**{**args, **kwargs})


class TestVerification:
    def test_seller_without_the_mw_rejected(self) -> None:
        led = ledger_with(grant("A", key(), 100))
        t = accept_transfer(requested(mw=200), "B", T_REQ)
        out = verify_transfer(t, led, [], "oi", T_REQ)
        assert out.transfer.state is TransferState.REJECTED
        assert out.postings == ()
        assert "A would hold -10 MW" in out.transfer.events[-1].note

    def test_offered_mw_cannot_be_transferred(self) -> None:
        led = ledger_with(grant("A", key(), 500))
        offers = [OfferClaim("o1", "A", key(), 400)]
        t = accept_transfer(requested(mw=200), "B", T_REQ)
        out = verify_transfer(t, led, offers, "oi", T_REQ)
        assert out.transfer.state is TransferState.REJECTED
        assert "40 MW of 2026-07 on_peak 1->3 obligation under open offers" in out.transfer.events[-1].note
        assert verify_transfer(t, led, [OfferClaim("o1", "A", key(), 300)], "oi", T_REQ).verified

    def test_retroactive_transfer_rejected(self) -> None:
        led = ledger_with(grant("A", key(), 500))
        t = accept_transfer(requested(), "B", T_REQ)
        late = MID  # the hour ending MID began an hour before MID
        out = verify_transfer(t, led, [], "oi", late)
        assert out.transfer.state is TransferState.REJECTED
        assert "settled hours are not re-assigned" in out.transfer.events[-1].note
