"""The holdings ledger in the service (both databases): entries, positions at an hour, histories,
portfolios, transfers moving credits from their hour on, feasibility refusals, offers drawn on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session, func, select

from app.bids.tables import Bid
from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import BASE_URL, SyncClient
from tests.app.test_clearing import clear, order, submit_worked_example

RIGHT = {"year": 2027, "month": 1, "period_class": "on_peak", "source": "1", "sink": "3"}
MID_MONTH = datetime(2027, 1, 16, 6, 0, tzinfo=UTC)
"""Hour ending 01:00 EST on 16 January 2027."""


def allocate(client: SyncClient, operator_key: str, holder: Member, mw: str, **over: Any) -> Any:
    body = {"holder_id": holder.id, **RIGHT, "mw": mw, **over}
    return client.post("/api/v1/holdings", json=body, headers=bearer(operator_key))


def positions(client: SyncClient, headers: dict[str, str], at: datetime, **params: Any) -> dict[int, str]:
    r = client.get("/api/v1/holdings/positions", params={"at": at.isoformat(), **params}, headers=headers)
    assert r.status_code == 200, r.text
    return {p["holder_id"]: p["mw"] for p in r.json()["items"]}


def transfer(client: SyncClient, seller: Member, buyer: Member, mw: str, at: datetime = MID_MONTH) -> Any:
    body = {"buyer_id": buyer.id, "rights": [RIGHT], "mw": mw, "effective_from": at.isoformat()}
    return client.post("/api/v1/transfers", json=body, headers=seller.headers)


class TestLedgerQueries:
    def test_transfer_mid_month_moves_the_right_from_that_hour(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        a, b = make_participant("lse"), make_participant("trader")
        assert allocate(client, operator_key, a, "21.0").status_code == 201
        r = transfer(client, a, b, "10.0")
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        oi = bearer(operator_key)
        assert client.post(f"/api/v1/transfers/{tid}/verify", headers=oi).status_code == 409, (
            "not accepted yet"
        )
        assert client.post(f"/api/v1/transfers/{tid}/accept", headers=a.headers).status_code == 409, (
            "buyer only"
        )
        assert client.post(f"/api/v1/transfers/{tid}/accept", headers=b.headers).json()["state"] == "accepted"
        r = client.post(f"/api/v1/transfers/{tid}/verify", headers=oi)
        assert r.status_code == 200 and r.json()["state"] == "verified", r.text

        before, after = MID_MONTH - timedelta(hours=1), MID_MONTH
        assert positions(client, oi, before) == {a.id: "21.0"}
        assert positions(client, oi, after) == {a.id: "11.0", b.id: "10.0"}
        assert positions(client, b.headers, before) == {}
        assert positions(client, b.headers, after) == {b.id: "10.0"}
        assert (
            client.get(
                "/api/v1/holdings/positions",
                params={"at": after.isoformat(), "holder_id": a.id},
                headers=b.headers,
            ).status_code
            == 404
        ), "another holder's positions are not found"

        params = {"holder_id": a.id, **RIGHT}
        hist = client.get("/api/v1/holdings/history", params=params, headers=a.headers).json()
        steps = [(s["change_mw"], s["position_mw"], s["origin"]) for s in hist["steps"]]
        assert steps == [("21.0", "21.0", "nsu_allocation"), ("-10.0", "11.0", "transfer")]
        # The history replays to the position at every hour asked about.
        for hour in (before, after, datetime(2027, 2, 1, 5, 0, tzinfo=UTC)):
            replay = [
                s["position_mw"] for s in hist["steps"] if datetime.fromisoformat(s["effective_from"]) <= hour
            ]
            assert positions(client, a.headers, hour).get(a.id, "0.0") == (replay[-1] if replay else "0.0")

        p = client.get("/api/v1/holdings/portfolio", params={"year": 2027, "month": 1}, headers=oi).json()
        lines = {(x["holder_id"], x["first_hour_mw"], x["last_hour_mw"], x["minimum_mw"]) for x in p["items"]}
        assert lines == {(a.id, "21.0", "11.0", "11.0"), (b.id, "0.0", "10.0", "0.0")}
        own = client.get("/api/v1/holdings/portfolio", params={"year": 2027, "month": 1}, headers=b.headers)
        assert [x["holder_id"] for x in own.json()["items"]] == [b.id]
        csv = client.get("/api/v1/holdings/portfolio.csv", params={"year": 2027, "month": 1}, headers=oi)
        assert csv.headers["content-type"].startswith("text/csv")
        assert len(csv.text.strip().splitlines()) == 3 and "transfer" in csv.text

    def test_offer_limited_to_least_held_hour_and_transfer_cannot_take_offered_mw(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        a, b = make_participant("lse"), make_participant("trader")
        assert allocate(client, operator_key, a, "21.0").status_code == 201
        offer = order("1", "3", "15.0", "6.00", side="sell")
        assert (
            client.post(f"/api/v1/auctions/{auction_id}/bids", json=offer, headers=a.headers).status_code
            == 201
        )
        tid = transfer(client, a, b, "10.0").json()["id"]
        client.post(f"/api/v1/transfers/{tid}/accept", headers=b.headers)
        r = client.post(f"/api/v1/transfers/{tid}/verify", headers=bearer(operator_key))
        assert r.json()["state"] == "rejected" and "open offers" in r.json()["events"][-1]["note"]
        assert positions(client, a.headers, MID_MONTH) == {a.id: "21.0"}, "nothing moved"
        r = client.post(
            f"/api/v1/auctions/{auction_id}/bids",
            json=order("1", "3", "6.1", "6.00", side="sell"),
            headers=a.headers,
        )
        assert r.status_code == 422 and r.json()["type"].endswith("/insufficient-holding")
        assert "exceeds the 6 MW available" in r.json()["detail"]

    def test_allocation_that_breaks_feasibility_names_the_constraint(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        a = make_participant("lse")
        assert allocate(client, operator_key, a, "60.0").status_code == 201  # 40 MW on 1-3 (limit 60)
        r = allocate(client, operator_key, a, "40.0")  # +26.7 MW: 66.7 > 60
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["type"].endswith("/not-simultaneously-feasible")
        assert problem["constraint_id"] == "1-3" and problem["contingency_id"] is None
        assert float(problem["limit_mw"]) == 60.0 and abs(float(problem["flow_mw"]) - 200 / 3) < 1e-3
        assert problem["errors"][0]["field"] == "body.mw" and "1-3" in problem["errors"][0]["reason"]
        r = allocate(client, operator_key, a, "5.0", source="9")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.source"
        entries = client.get("/api/v1/holdings", headers=a.headers).json()
        assert entries["total"] == 1, "refused allocations leave no entry"

    def test_refusal_names_the_participant(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        auditor = make_participant("auditor", name="Keen Auditor")
        r = allocate(client, operator_key, auditor, "1.0")
        assert r.status_code == 422
        assert r.json()["detail"] == f"participant 'Keen Auditor' ({auditor.id}, auditor) cannot hold FTRs"
        missing = client.post(
            "/api/v1/holdings",
            json={"holder_id": 999_999, **RIGHT, "mw": "1.0"},
            headers=bearer(operator_key),
        )
        assert (
            missing.status_code == 422
            and "participant 999999 (no such participant)" in missing.json()["detail"]
        )


class TestPostingAndSettlement:
    def test_sale_reverts_and_statements_and_revenue_to_the_cent(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        """docs/rules.md: the 21 MW offer at 6 is sold; buyers pay 900, the seller is paid 210, net 690."""
        seller = make_participant("lse", name="seller")
        assert allocate(client, operator_key, seller, "21.0").status_code == 201
        r = client.post(
            "/api/v1/auctions",
            json={"year": 2027, "month": 2, "network_version_id": network_id},
            headers=bearer(operator_key),
        )
        assert r.status_code == 201, r.text
        assert allocate(client, operator_key, seller, "21.0", month=2).status_code == 201
        offer = order("1", "3", "21.0", "6.00", side="sell")
        assert (
            client.post(f"/api/v1/auctions/{auction_id}/bids", json=offer, headers=seller.headers).status_code
            == 201
        )
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        oi = bearer(operator_key)
        owners = [make_participant("transmission_owner") for _ in range(3)]
        for owner, amount in zip(owners, ("2000.00", "1000.00", "1000.00"), strict=True):
            r = client.put(f"/api/v1/revenue-requirements/{owner.id}", json={"amount": amount}, headers=oi)
            assert r.status_code == 200, r.text
        assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=oi).status_code == 200

        statements = client.get(f"/api/v1/auctions/{auction_id}/statements", headers=oi).json()
        net = {s["participant_id"]: s["net_charge"] for s in statements}
        assert net[seller.id] == "-210.00"
        assert sum(float(v) for v in net.values()) == 690.0
        own = client.get(f"/api/v1/auctions/{auction_id}/statements", headers=seller.headers).json()
        assert [s["participant_id"] for s in own] == [seller.id]
        csv = client.get(f"/api/v1/auctions/{auction_id}/statements.csv", headers=seller.headers).text
        assert csv.splitlines()[1].endswith(",21.0,10.00,210.00,-210.00")

        alloc = client.get(f"/api/v1/auctions/{auction_id}/revenue-allocation", headers=oi).json()
        assert alloc["net_revenue"] == "690.00"
        shares = [s["amount"] for s in alloc["shares"]]
        assert shares == ["345.00", "172.50", "172.50"]
        cents = sum(round(float(s) * 100) for s in shares)
        assert cents == 69000, "the allocation sums to the net revenue to the cent"
        mine = client.get(
            f"/api/v1/auctions/{auction_id}/revenue-allocation", headers=owners[1].headers
        ).json()
        assert [s["owner_id"] for s in mine["shares"]] == [owners[1].id]

        # Sold for January only: the right is the seller's again in February (OA 7.3.2).
        jan = positions(client, seller.headers, datetime(2027, 1, 20, 12, tzinfo=UTC))
        assert jan == {}
        assert positions(client, seller.headers, datetime(2027, 2, 10, 12, tzinfo=UTC)) == {seller.id: "21.0"}
        hist = client.get(
            "/api/v1/holdings/history", params={"holder_id": seller.id, **RIGHT}, headers=seller.headers
        ).json()
        assert [s["origin"] for s in hist["steps"]] == ["nsu_allocation", "sale"]

    def test_statements_hidden_before_posting(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        trader = make_participant()
        r = client.get(f"/api/v1/auctions/{auction_id}/statements", headers=trader.headers)
        assert r.status_code == 404


class TestConcurrency:
    def test_transfer_verification_and_offers_never_sell_the_same_mw_twice(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        """A holds 21 MW; the OI verifies a 10 MW transfer while A offers 5 MW eight times at once."""
        a, b = make_participant("lse"), make_participant("trader")
        assert allocate(client, operator_key, a, "21.0").status_code == 201
        tid = transfer(client, a, b, "10.0", at=datetime(2027, 1, 1, 6, tzinfo=UTC)).json()["id"]
        assert client.post(f"/api/v1/transfers/{tid}/accept", headers=b.headers).status_code == 200
        offer = order("1", "3", "5.0", "6.00", side="sell")

        async def run() -> list[httpx.Response]:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=120
            ) as http:
                calls = [
                    http.post(f"/api/v1/auctions/{auction_id}/bids", json=offer, headers=a.headers)
                    for _ in range(8)
                ]
                calls.insert(3, http.post(f"/api/v1/transfers/{tid}/verify", headers=bearer(operator_key)))
                return list(await asyncio.gather(*calls))

        responses = asyncio.run(run())
        verdict = responses.pop(3).json()["state"]
        offered = 50 * sum(1 for r in responses if r.status_code == 201)
        assert {r.status_code for r in responses} <= {201, 422}
        transferred = 100 if verdict == "verified" else 0
        assert offered + transferred <= 210, (verdict, offered)
        with Session(app.state.engine) as session:
            stored = session.exec(
                select(func.coalesce(func.sum(Bid.mw_tenths), 0)).where(Bid.participant_id == a.id)
            ).one()
        assert stored == offered
