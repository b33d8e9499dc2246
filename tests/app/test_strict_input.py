"""Strict numbers, one-pass upload reports, and transfers only of held rights with no id oracle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient

BAD_NUMBERS = [
    "\u0661\u0662",
    "1E+2",
    "1e2",
    " 5 ",
    "5 ",
    "1.2.3",
    "0x10",
    "5_0",
    "NaN",
    "Infinity",
    "+-1",
    "",
]


def bid(**over: Any) -> dict[str, Any]:
    return {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "10.0", "price": "100.00"} | over


def total(client: SyncClient, auction_id: int, member: Member) -> int:
    count: int = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=member.headers).json()["total"]
    return count


class TestStrictNumbers:
    @pytest.mark.parametrize("field", ["mw", "price"])
    @pytest.mark.parametrize("value", BAD_NUMBERS)
    def test_json_strings(
        self,
        client: SyncClient,
        auction_id: int,
        make_participant: Callable[..., Member],
        field: str,
        value: str,
    ) -> None:
        alice = make_participant()
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids", json=bid(**{field: value}), headers=alice.headers
        )
        assert r.status_code == 422, r.text
        assert f"body.{field}" in {e["field"] for e in r.json()["errors"]}
        assert total(client, auction_id, alice) == 0

    @pytest.mark.parametrize("value", ["5", "+5", "5.", "5.0", "0.5"])
    def test_plain_decimals_accepted(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member], value: str
    ) -> None:
        alice = make_participant()
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=bid(mw=value), headers=alice.headers)
        assert r.status_code == 201, r.text

    @pytest.mark.parametrize("value", ["1E+2", " 5", "5 ", "\u0661\u0662"])
    def test_csv_cells(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member], value: str
    ) -> None:
        alice = make_participant()
        csv = f"period_class,source,sink,mw,price\non_peak,1,3,{value},1.00\non_peak,1,3,5.0,{value}\n"
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**alice.headers, "content-type": "text/csv"},
        )
        assert r.status_code == 422, r.text
        assert {(e["row"], e["field"]) for e in r.json()["errors"]} == {(1, "mw"), (2, "price")}

    def test_a_price_may_still_be_a_json_number(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=bid(price=12.5), headers=alice.headers)
        assert r.status_code == 201 and r.json()["price"] == "12.50", r.text


class TestUploadReport:
    def test_format_errors_and_unknown_nodes_in_one_answer(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        rows = ["on_peak,1,3,1.0,1.00"] * 300
        rows[9] = "on_peak,1,3,1e1,1.00"  # row 10: exponent
        rows[99] = "on_peak,1,3,2.0, 3.00"  # row 100: space
        rows[199] = "weekend,1,3,2.0,3.00"  # row 200: no such class
        rows[249] = "on_peak,1,99,2.0,3.00"  # row 250: unknown node
        rows[279] = "on_peak,77,3,x,3.00"  # row 280: unknown node and a bad number
        csv = "period_class,source,sink,mw,price\n" + "\n".join(rows) + "\n"
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids/bulk",
            content=csv.encode(),
            headers={**alice.headers, "content-type": "text/csv"},
        )
        assert r.status_code == 422, r.text
        found = {(e["row"], e["field"]) for e in r.json()["errors"]}
        assert found == {
            (10, "mw"),
            (100, "price"),
            (200, "period_class"),
            (250, "sink"),
            (280, "source"),
            (280, "mw"),
        }
        assert [e["row"] for e in r.json()["errors"]] == sorted(e["row"] for e in r.json()["errors"])
        assert "5 bad row(s)" in r.json()["detail"]
        assert total(client, auction_id, alice) == 0


RIGHT = {"year": 2027, "month": 1, "period_class": "on_peak", "source": "1", "sink": "3"}
TRANSFER = {"rights": [RIGHT], "mw": "5.0", "effective_from": "2027-01-16T06:00:00Z"}


class TestTransfers:
    def test_only_held_rights_and_no_answer_about_other_ids(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        seller, trader = make_participant(), make_participant()
        auditor = make_participant(role="auditor")
        unknown_id = trader.id + auditor.id + 1000

        def request(by: Member, buyer_id: int, mw: str = "5.0") -> Any:
            body = TRANSFER | {"buyer_id": buyer_id, "mw": mw}
            return client.post("/api/v1/transfers", json=body, headers=by.headers)

        answers = [request(seller, buyer_id) for buyer_id in (trader.id, auditor.id, unknown_id)]
        assert {a.status_code for a in answers} == {422}, "a seller holding nothing is refused, whoever buys"
        assert len({a.text for a in answers}) == 1, "and the answer says nothing about the buyer id"
        assert answers[0].json()["errors"][0]["field"] == "body.mw"

        allocation = RIGHT | {"holder_id": seller.id, "mw": "5.0"}
        assert (
            client.post("/api/v1/holdings", json=allocation, headers=bearer(operator_key)).status_code == 201
        )
        assert request(seller, trader.id, mw="5.1").status_code == 422, "more than held"
        ineligible, unknown = request(seller, auditor.id), request(seller, unknown_id)
        assert ineligible.status_code == unknown.status_code == 422
        assert ineligible.json()["errors"] == unknown.json()["errors"]
        assert ineligible.json()["detail"].replace(str(auditor.id), "ID") == unknown.json()["detail"].replace(
            str(unknown_id), "ID"
        )
        r = request(seller, trader.id)
        assert r.status_code == 201, r.text
