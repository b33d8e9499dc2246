"""Refusals that say what is allowed and when: each one found walking the demo as the OI, a trader and an LSE.

An auction's refusals name its status as the API shows it (an ``open`` auction is ``closed`` from
its window's close) and the step it waits for; an offer of an FTR not held names the participant
by name; a statement of a month not yet settled says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer, upload_network
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example

CLOSES = "2026-12-17T05:00:00+00:00"


def refused(r: httpx.Response, status: int = 409) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    detail: str = r.json()["detail"]
    return detail


class TestAuctionSteps:
    def test_posting_an_open_auction_says_it_waits_for_the_close_and_a_clearing(
        self, client: SyncClient, operator_key: str, auction_id: int
    ) -> None:
        detail = refused(client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key)))
        assert f"takes bids until {CLOSES}" in detail
        assert "results are posted once it has closed and been cleared" in detail

    def test_clearing_an_open_auction_says_from_when(
        self, client: SyncClient, operator_key: str, auction_id: int
    ) -> None:
        detail = refused(client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key)))
        assert detail.startswith(f"auction {auction_id} takes bids until {CLOSES}")
        assert "can be cleared from then on" in detail

    def test_after_the_close_the_refusal_names_the_status_the_auction_shows(
        self, client: SyncClient, operator_key: str, auction_id: int, clock: FixedClock
    ) -> None:
        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=1))
        shown = client.get(f"/api/v1/auctions/{auction_id}", headers=bearer(operator_key)).json()["status"]
        assert shown == "closed"
        r = client.post(f"/api/v1/auctions/{auction_id}/post", headers=bearer(operator_key))
        assert refused(r) == f"auction {auction_id} is closed but not cleared: results are posted once a " + (
            "clearing has succeeded"
        )
        assert r.json()["current_status"] == "closed", "not the stored 'open'"
        detail = refused(client.post(f"/api/v1/auctions/{auction_id}/open", headers=bearer(operator_key)))
        assert (
            detail
            == f"auction {auction_id} is closed: only a draft auction is opened, before its window closes"
        )

    def test_opening_twice_says_it_is_already_open(
        self, client: SyncClient, operator_key: str, auction_id: int
    ) -> None:
        detail = refused(client.post(f"/api/v1/auctions/{auction_id}/open", headers=bearer(operator_key)))
        assert detail == f"auction {auction_id} is already open"

    def test_a_posted_auction_is_final(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        oi = bearer(operator_key)
        assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=oi).status_code == 200
        for step in ("clear", "post", "close"):
            detail = refused(client.post(f"/api/v1/auctions/{auction_id}/{step}", headers=oi))
            expected = "is already posted" if step == "post" else "is posted: its results are final"
            assert expected in detail, (step, detail)

    def test_results_not_yet_posted_say_when_they_are_due(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        trader = make_participant()
        r = client.get(f"/api/v1/auctions/{auction_id}/results/on_peak", headers=trader.headers)
        assert refused(r, 404) == (
            f"the results of auction {auction_id} are not posted yet: the OI posts them after the clearing, "
            "due by 2026-12-19T05:00:00+00:00 (OA 7.3.7)"
        )
        unknown = client.get("/api/v1/auctions/999/results/on_peak", headers=trader.headers)
        assert refused(unknown, 404) == "no posted results for auction 999 (on_peak)"


class TestOperatorMessages:
    def test_an_unreadable_network_file_is_told_what_is_expected_not_the_parser_internals(
        self, client: SyncClient, operator_key: str
    ) -> None:
        r = upload_network(client, operator_key, b"\x00\x01\x02 not a case", "matpower")
        detail = refused(r, 422)
        assert "not a readable MATPOWER case (expected the text of a MATLAB function" in detail
        assert "Error" not in detail and "NoneType" not in detail and "/tmp" not in detail


class TestParticipantMessages:
    def test_an_offer_of_an_ftr_not_held_names_the_participant(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        trader = make_participant(name="Alice Trading")
        offer = {
            "side": "sell",
            "period_class": "on_peak",
            "source": "1",
            "sink": "2",
            "mw": "5.0",
            "price": "1",
        }
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=offer, headers=trader.headers)
        [error] = r.json()["errors"]
        assert refused(r, 422) == error["reason"]
        assert error["field"] == "body.mw"
        assert error["reason"].startswith(f"participant 'Alice Trading' ({trader.id}) does not hold 2027-01")
        assert "offer sells only an FTR held for the whole month" in error["reason"]

    def test_a_statement_of_a_month_not_settled_says_so(
        self, client: SyncClient, make_participant: Callable[..., Member]
    ) -> None:
        lse = make_participant(role="lse", name="Demo-like LSE")
        r = client.get("/api/v1/settlement/months/2027/1/statements/me", headers=lse.headers)
        detail = refused(r, 404)
        assert detail.startswith(f"no statement of participant 'Demo-like LSE' ({lse.id}) for 2027-01")
        assert "2027-01 has not been settled yet" in detail

    def test_another_participants_statement_names_nothing_more(
        self, client: SyncClient, make_participant: Callable[..., Member]
    ) -> None:
        lse, other = make_participant(role="lse"), make_participant()
        r = client.get(f"/api/v1/settlement/months/2027/1/statements/{other.id}", headers=lse.headers)
        assert refused(r, 404) == f"no statement of participant {other.id} for 2027-01"
