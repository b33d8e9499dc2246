"""Bids and offers (OA 7.3.5): validation, ownership, window, credit, holdings, bulk upload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, JANUARY_2027_OPENS, Member, bearer
from tests.app.http import SyncClient


def bid(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "period_class": "on_peak",
        "source": "1",
        "sink": "3",
        "mw": "10.0",
        "price": "100.00",
    }
    body.update(over)
    return body


def post_bid(
    client: SyncClient, auction_id: int, member: Member, body: dict[str, Any], **headers: str
) -> Any:
    return client.post(
        f"/api/v1/auctions/{auction_id}/bids", json=body, headers={**member.headers, **headers}
    )


class TestCreate:
    def test_created_with_credit_held(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        r = post_bid(client, auction_id, alice, bid())
        assert r.status_code == 201, r.text
        b = r.json()
        assert b["mw"] == "10.0" and b["price"] == "100.00" and b["status"] == "active"
        assert b["side"] == "buy" and b["hedge"] == "obligation" and b["participant_id"] == alice.id
        # (max(100, 0) + 0.10 $/MWh x 320 on-peak hours) x 10 MW = 1320 $
        assert b["credit_held"] == "1320.00"
        assert b["fill"] is None

    @pytest.mark.parametrize(
        ("over", "field"),
        [
            ({"mw": "0"}, "body.mw"),
            ({"mw": "-1"}, "body.mw"),
            ({"mw": "0.05"}, "body.mw"),
            ({"mw": "abc"}, "body.mw"),
            ({"sink": "1"}, "body.sink"),
            ({"period_class": "weekend"}, "body.period_class"),
            ({"hedge": "swap"}, "body.hedge"),
            ({"hedge": "option", "price": "-1.00"}, "body.price"),
            ({"price": "1.001"}, "body.price"),
            ({"side": "hold"}, "body.side"),
            ({"participant_id": 1}, "body.participant_id"),
            ({"status": "active"}, "body.status"),
        ],
    )
    def test_invalid_fields(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        over: dict[str, Any],
        field: str,
    ) -> None:
        r = post_bid(client, auction_id, make_participant(), bid(**over))
        assert r.status_code == 422, r.text
        assert field in {e["field"] for e in r.json()["errors"]}

    @pytest.mark.parametrize(
        ("period_class", "hedge", "stored"),
        [
            ("ONPEAK", "OBL", ("on_peak", "obligation")),
            ("on-peak", "opt", ("on_peak", "option")),
            ("OffPeak", "Option", ("off_peak", "option")),
        ],
    )
    def test_iso_spellings_in_json(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        period_class: str,
        hedge: str,
        stored: tuple[str, str],
    ) -> None:
        r = post_bid(client, auction_id, make_participant(), bid(period_class=period_class, hedge=hedge))
        assert r.status_code == 201, r.text
        assert (r.json()["period_class"], r.json()["hedge"]) == stored

    def test_unknown_pricing_point(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        r = post_bid(client, auction_id, make_participant(), bid(source="99"))
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {
                "field": "body.source",
                "reason": "unknown pricing point '99' in network version "
                f"{r.json()['errors'][0]['reason'].split()[-1]}",
            }
        ]

    def test_counterflow_bid_accepted_and_holds_floor_credit(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        r = post_bid(client, auction_id, make_participant(), bid(source="3", sink="1", price="-50.00"))
        assert r.status_code == 201
        assert r.json()["credit_held"] == "320.00"

    def test_roles_that_may_not_bid(
        self, client: SyncClient, auction_id: int, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        for role in ("transmission_owner", "auditor"):
            assert post_bid(client, auction_id, make_participant(role), bid()).status_code == 403
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=bid(), headers=bearer(operator_key))
        assert r.status_code == 403
        assert post_bid(client, auction_id, make_participant("lse"), bid()).status_code == 201


class TestWindow:
    def test_before_open_refused(
        self, client: SyncClient, auction_id: int, clock: FixedClock, make_participant: Callable[..., Member]
    ) -> None:
        clock.set(JANUARY_2027_OPENS - timedelta(microseconds=1))
        r = post_bid(client, auction_id, make_participant(), bid())
        assert r.status_code == 409
        assert r.json()["type"].endswith("/bid-window-closed")
        clock.set(JANUARY_2027_OPENS)
        assert post_bid(client, auction_id, make_participant(), bid()).status_code == 201

    def test_close_instant_is_closed(
        self, client: SyncClient, auction_id: int, clock: FixedClock, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        clock.set(JANUARY_2027_CLOSES - timedelta(microseconds=1))
        created = post_bid(client, auction_id, alice, bid())
        assert created.status_code == 201
        clock.set(JANUARY_2027_CLOSES)
        assert post_bid(client, auction_id, alice, bid()).status_code == 409
        bid_id = created.json()["id"]
        assert (
            client.patch(f"/api/v1/bids/{bid_id}", json={"mw": "1.0"}, headers=alice.headers).status_code
            == 409
        )
        assert client.delete(f"/api/v1/bids/{bid_id}", headers=alice.headers).status_code == 409

    def test_draft_auction_is_not_found_for_bidders(
        self, client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
    ) -> None:
        body = {"year": 2027, "month": 2, "network_version_id": network_id}
        aid = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key)).json()["id"]
        assert post_bid(client, aid, make_participant(), bid()).status_code == 404


class TestModifyWithdraw:
    def test_modify_then_withdraw(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        bid_id = post_bid(client, auction_id, alice, bid()).json()["id"]
        r = client.patch(
            f"/api/v1/bids/{bid_id}", json={"mw": "5.5", "price": "10.00"}, headers=alice.headers
        )
        assert r.status_code == 200, r.text
        assert (r.json()["mw"], r.json()["price"], r.json()["credit_held"]) == ("5.5", "10.00", "231.00")
        r = client.delete(f"/api/v1/bids/{bid_id}", headers=alice.headers)
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        assert r.json()["credit_held"] == "0.00", "a withdrawn bid holds no credit"
        assert client.get(f"/api/v1/bids/{bid_id}", headers=alice.headers).json()["credit_held"] == "0.00"
        assert (
            client.get("/api/v1/participants/me/credit", headers=alice.headers).json()["credit_in_use"]
            == "0.00"
        )
        again = client.delete(f"/api/v1/bids/{bid_id}", headers=alice.headers)
        assert again.status_code == 409 and again.json()["type"].endswith("/bid-not-active")
        modify = client.patch(f"/api/v1/bids/{bid_id}", json={"mw": "1.0"}, headers=alice.headers)
        assert modify.status_code == 409 and "withdrawn" in modify.json()["detail"]

    def test_empty_update_refused(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        bid_id = post_bid(client, auction_id, alice, bid()).json()["id"]
        assert client.patch(f"/api/v1/bids/{bid_id}", json={}, headers=alice.headers).status_code == 422
        r = client.patch(f"/api/v1/bids/{bid_id}", json={"source": "2"}, headers=alice.headers)
        assert r.status_code == 422

    def test_other_participants_bid_is_not_found(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice, mallory = make_participant(), make_participant()
        bid_id = post_bid(client, auction_id, alice, bid()).json()["id"]
        assert client.get(f"/api/v1/bids/{bid_id}", headers=mallory.headers).status_code == 404
        assert (
            client.patch(f"/api/v1/bids/{bid_id}", json={"mw": "1.0"}, headers=mallory.headers).status_code
            == 404
        )
        assert client.delete(f"/api/v1/bids/{bid_id}", headers=mallory.headers).status_code == 404
        listed = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=mallory.headers).json()
        assert listed["total"] == 0
        assert client.get(f"/api/v1/bids/{bid_id}", headers=alice.headers).status_code == 200

    def test_operator_and_auditor_read_all(
        self, client: SyncClient, auction_id: int, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        post_bid(client, auction_id, alice, bid())
        post_bid(client, auction_id, make_participant(), bid())
        for headers in (bearer(operator_key), make_participant("auditor").headers):
            assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=headers).json()["total"] == 2
        assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=alice.headers).json()["total"] == 1


class TestIdempotency:
    def test_same_key_same_body_same_bid(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        first = post_bid(client, auction_id, alice, bid(), **{"Idempotency-Key": "k-1"})
        again = post_bid(client, auction_id, alice, bid(mw="10"), **{"Idempotency-Key": "k-1"})
        assert first.status_code == 201 and again.status_code == 200
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]

    def test_same_key_other_body_refused(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        assert post_bid(client, auction_id, alice, bid(), **{"Idempotency-Key": "k-2"}).status_code == 201
        r = post_bid(client, auction_id, alice, bid(mw="11.0"), **{"Idempotency-Key": "k-2"})
        assert r.status_code == 422
        assert r.json()["type"].endswith("/idempotency-key-reused")

    def test_keys_are_per_participant(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        a = post_bid(client, auction_id, make_participant(), bid(), **{"Idempotency-Key": "shared"})
        b = post_bid(client, auction_id, make_participant(), bid(), **{"Idempotency-Key": "shared"})
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]


class TestCredit:
    def test_refused_with_the_numbers(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant(credit_limit="2000.00")
        assert post_bid(client, auction_id, alice, bid()).status_code == 201  # holds 1320
        r = post_bid(client, auction_id, alice, bid())
        assert r.status_code == 422
        body = r.json()
        assert body["type"].endswith("/insufficient-credit")
        assert (
            body["credit_limit"],
            body["credit_in_use"],
            body["credit_required"],
            body["credit_available"],
        ) == (
            "2000.00",
            "1320.00",
            "1320.00",
            "680.00",
        )

    def test_counterflow_cannot_net_the_book(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        """Prevailing and counterflow bids on the same path add up; they never offset (GreenHat 2018)."""
        alice = make_participant(credit_limit="1700.00")
        assert post_bid(client, auction_id, alice, bid(price="100.00")).status_code == 201  # 1320
        r = post_bid(client, auction_id, alice, bid(source="3", sink="1", price="-100.00", mw="10.0"))  # 320
        assert r.status_code == 201
        r = post_bid(client, auction_id, alice, bid(source="3", sink="1", price="-100.00", mw="10.0"))
        assert r.status_code == 422, "a second counterflow bid needs another 320 $"
        assert (
            client.get("/api/v1/participants/me/credit", headers=alice.headers).json()["credit_in_use"]
            == "1640.00"
        )

    def test_modify_rechecks_credit(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant(credit_limit="1500.00")
        bid_id = post_bid(client, auction_id, alice, bid()).json()["id"]
        # (100 + 32) $/MW: 11.4 MW needs 1504.80 $ > 1500 $; the bid's own 1320 $ is not counted twice.
        patch = f"/api/v1/bids/{bid_id}"
        assert client.patch(patch, json={"mw": "11.4"}, headers=alice.headers).status_code == 422
        assert client.patch(patch, json={"mw": "11.3"}, headers=alice.headers).status_code == 200
        r = client.patch(patch, json={"mw": "12.0", "price": "90.00"}, headers=alice.headers)
        assert r.status_code == 200 and r.json()["credit_held"] == "1464.00"


class TestOffers:
    def _allocate(self, client: SyncClient, operator_key: str, holder: Member, mw: str) -> None:
        body = {
            "holder_id": holder.id,
            "year": 2027,
            "month": 1,
            "period_class": "on_peak",
            "source": "1",
            "sink": "3",
            "mw": mw,
        }
        r = client.post("/api/v1/holdings", json=body, headers=bearer(operator_key))
        assert r.status_code == 201, r.text

    def test_offer_limited_to_holding(
        self, client: SyncClient, auction_id: int, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        lse = make_participant("lse")
        r = post_bid(client, auction_id, lse, bid(side="sell", mw="5.0", price="6.00"))
        assert r.status_code == 422 and r.json()["type"].endswith("/insufficient-holding")
        self._allocate(client, operator_key, lse, "21.0")
        assert post_bid(client, auction_id, lse, bid(side="sell", mw="15.0", price="6.00")).status_code == 201
        r = post_bid(client, auction_id, lse, bid(side="sell", mw="6.1", price="6.00"))
        assert r.status_code == 422, "the same MW cannot be offered twice"
        assert post_bid(client, auction_id, lse, bid(side="sell", mw="6.0", price="6.00")).status_code == 201
        offer = post_bid(client, auction_id, lse, bid(side="sell", mw="6.0", price="6.00"))
        assert offer.status_code == 422
        holdings = client.get("/api/v1/holdings", headers=lse.headers).json()
        assert holdings["total"] == 1 and holdings["items"][0]["mw"] == "21.0"

    def test_offer_of_other_class_or_path_refused(
        self, client: SyncClient, auction_id: int, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        lse = make_participant("lse")
        self._allocate(client, operator_key, lse, "21.0")
        assert (
            post_bid(client, auction_id, lse, bid(side="sell", period_class="off_peak", mw="1.0")).status_code
            == 422
        )
        assert post_bid(client, auction_id, lse, bid(side="sell", source="2", mw="1.0")).status_code == 422


class TestBulk:
    def test_csv_all_rows_stored(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        csv = "period_class,source,sink,mw,price\n" + "".join(
            f"on_peak,1,3,{i % 7}.5,{i}.00\n" for i in range(1, 201)
        )
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**alice.headers, "content-type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["created"] == 200 and len(set(r.json()["bid_ids"])) == 200
        assert (
            client.get(f"/api/v1/auctions/{auction_id}/bids?limit=1", headers=alice.headers).json()["total"]
            == 200
        )

    def test_upload_idempotency(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        url = f"/api/v1/auctions/{auction_id}/bids/bulk"
        headers = {**alice.headers, "Idempotency-Key": "upload-7"}
        first = client.post(url, json=[bid(), bid(mw="2.0")], headers=headers)
        again = client.post(url, json=[bid(), bid(mw="2.0")], headers=headers)
        assert first.status_code == 201 and again.status_code == 200
        assert again.json() == {"created": 0, "bid_ids": first.json()["bid_ids"]}
        other = client.post(url, json=[bid(mw="3.0")], headers=headers)
        assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")
        assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=alice.headers).json()["total"] == 2

    def test_bad_rows_all_reported_and_nothing_stored(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        rows = [bid(), bid(mw="0.05"), bid(), bid(sink="1", hedge="swap"), bid()]
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk", json={"bids": rows}, headers=alice.headers
        )
        assert r.status_code == 422
        problems = {(e["row"], e["field"]) for e in r.json()["errors"]}
        assert problems == {(2, "mw"), (4, "sink"), (4, "hedge")}
        assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=alice.headers).json()["total"] == 0

    def test_iso_spellings_stored_canonically(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        csv = (
            "side,period_class,source,sink,hedge,mw,price\n"
            "buy,ONPEAK,1,3,OBL,1.0,1\nbuy,off-peak,1,3,opt,1.0,1\nbuy,Peak,1,3,Option,1.0,1\n"
        )
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**alice.headers, "content-type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        stored = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=alice.headers).json()["items"]
        assert sorted((b["period_class"], b["hedge"]) for b in stored) == [
            ("off_peak", "option"),
            ("on_peak", "obligation"),
            ("on_peak", "option"),
        ]

    def test_unknown_spelling_refused_with_the_accepted_list(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        csv = "period_class,source,sink,hedge,mw,price\nweekend,1,3,OBL,1.0,1\nonpeak,1,3,swap,1.0,1\n"
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**alice.headers, "content-type": "text/csv"},
        )
        assert r.status_code == 422
        reasons = {(e["row"], e["field"]): e["reason"] for e in r.json()["errors"]}
        assert set(reasons) == {(1, "period_class"), (2, "hedge")}
        assert "on_peak, onpeak, on-peak, peak, off_peak, offpeak, off-peak" in reasons[1, "period_class"]
        assert "obligation, obl, option, opt" in reasons[2, "hedge"]

    @pytest.mark.parametrize(
        ("filename", "ctype", "content"),
        [
            (
                "bids.csv",
                "text/csv",
                b"period_class,source,sink,mw,price\non_peak,1,3,1.0,1\noff_peak,1,3,2.0,1\n",
            ),
            (
                "bids.csv",
                "application/octet-stream",
                b"period_class,source,sink,mw,price\non_peak,1,3,1.0,1\n",
            ),
            (
                "bids.json",
                "application/octet-stream",
                b'[{"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}]',
            ),
        ],
    )
    def test_multipart_file(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        filename: str,
        ctype: str,
        content: bytes,
    ) -> None:
        alice = make_participant()
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            files={"file": (filename, content, ctype)},
            headers=alice.headers,
        )
        assert r.status_code == 201, r.text
        listed = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=alice.headers).json()
        assert (
            listed["total"] == r.json()["created"] == content.count(b"on_peak") + content.count(b"off_peak")
        )

    def test_multipart_without_a_file_part(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            data={"bids": "period_class,source,sink,mw,price"},
            files={"other": ("x.txt", b"x", "text/plain")},
            headers=make_participant().headers,
        )
        assert r.status_code == 400 and "'file'" in r.json()["detail"]

    def test_unknown_points_reported_per_row(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        csv = (
            "side,period_class,source,sink,hedge,mw,price\nbuy,on_peak,1,3,,1.0,1\nbuy,off_peak,9,3,,1.0,1\n"
        )
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**alice.headers, "content-type": "text/csv"},
        )
        assert r.status_code == 422
        assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "source")]

    def test_credit_over_the_whole_upload(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant(credit_limit="3000.00")
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk", json=[bid(), bid(), bid()], headers=alice.headers
        )
        assert r.status_code == 422 and r.json()["type"].endswith("/insufficient-credit")
        assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=alice.headers).json()["total"] == 0

    @pytest.mark.parametrize(
        ("content", "ctype"),
        [
            (b"period_class,source\non_peak,1\n", "text/csv"),
            (b"\xff\xfe\x00garbage", "text/csv"),
            (b"{not json", "application/json"),
            (b'{"bids": 5}', "application/json"),
            (b"[]", "application/json"),
            (b"<xml/>", "application/xml"),
            (b"period_class,source,sink,mw,price\non_peak,1,3,1.0,1,EXTRA\n", "text/csv"),
        ],
    )
    def test_malformed_uploads_are_4xx(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        content: bytes,
        ctype: str,
    ) -> None:
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=content,
            headers={**make_participant().headers, "content-type": ctype},
        )
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"] == "application/problem+json"

    def test_too_many_rows(
        self,
        client: SyncClient,
        app: FastAPI,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        limit = app.state.settings.max_bulk_rows
        csv = "period_class,source,sink,mw,price\n" + "on_peak,1,3,1.0,1\n" * (limit + 1)
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**make_participant().headers, "content-type": "text/csv"},
        )
        assert r.status_code == 413
