"""Reliability under concurrency (both databases): the window close race, idempotency, credit.

Boundary instant: the window is ``opens_at <= t < closes_at`` where ``t`` is the server clock
read inside the bid's transaction, after the participant's lock is taken. A bid is stored if
and only if its response was 201.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.bids.repository import BidRepository
from app.bids.tables import Bid
from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import BASE_URL, SyncClient

BID = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "5.00"}


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=120)


def _stored(app: FastAPI, auction_id: int) -> list[Bid]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(Bid).where(Bid.auction_id == auction_id).order_by(col(Bid.id))).all())


class TestWindowCloseRace:
    def test_200_submissions_racing_the_close(
        self,
        app: FastAPI,
        client: SyncClient,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        members = [make_participant() for _ in range(8)]
        total = 200
        done = 0
        close_after = 100

        async def submit(http: httpx.AsyncClient, i: int) -> httpx.Response:
            nonlocal done
            member = members[i % len(members)]
            r = await http.post(f"/api/v1/auctions/{auction_id}/bids", json=BID, headers=member.headers)
            done += 1
            if done == close_after:
                clock.set(JANUARY_2027_CLOSES)
            return r

        async def run() -> list[httpx.Response]:
            async with _client(app) as http:
                return list(await asyncio.gather(*(submit(http, i) for i in range(total))))

        responses = asyncio.run(run())
        codes = [r.status_code for r in responses]
        assert set(codes) <= {201, 409}, codes
        accepted = {r.json()["id"] for r in responses if r.status_code == 201}
        refused = [r for r in responses if r.status_code == 409]
        assert all(r.json()["type"].endswith("/bid-window-closed") for r in refused)
        assert len(accepted) == codes.count(201) >= close_after
        assert refused, "the clock moved while submissions were in flight"
        stored = _stored(app, auction_id)
        assert {b.id for b in stored} == accepted, "nothing lost, nothing duplicated"
        assert all(b.created_at < JANUARY_2027_CLOSES for b in stored)


class TestIdempotencyUnderConcurrency:
    def test_same_key_fifty_times_makes_one_bid(
        self, app: FastAPI, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        headers = {**alice.headers, "Idempotency-Key": "retry-me"}

        async def run(body: dict[str, Any], n: int) -> list[httpx.Response]:
            async with _client(app) as http:
                url = f"/api/v1/auctions/{auction_id}/bids"
                return list(
                    await asyncio.gather(*(http.post(url, json=body, headers=headers) for _ in range(n)))
                )

        responses = asyncio.run(run(BID, 50))
        assert sorted(r.status_code for r in responses) == [200] * 49 + [201]
        assert len({r.json()["id"] for r in responses}) == 1
        assert len(_stored(app, auction_id)) == 1
        other = asyncio.run(run({**BID, "mw": "2.0"}, 5))
        assert [r.status_code for r in other] == [422] * 5
        assert len(_stored(app, auction_id)) == 1


class TestCreditUnderConcurrency:
    def test_concurrent_bids_never_jointly_overspend(
        self, app: FastAPI, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        # Each bid holds (5 + 0.10 x 320) x 1 MW = 37 $; a 370 $ limit fits exactly ten.
        alice = make_participant(credit_limit="370.00")

        async def run() -> list[httpx.Response]:
            async with _client(app) as http:
                url = f"/api/v1/auctions/{auction_id}/bids"
                return list(
                    await asyncio.gather(
                        *(http.post(url, json=BID, headers=alice.headers) for _ in range(40))
                    )
                )

        codes = sorted(r.status_code for r in asyncio.run(run()))
        assert codes == [201] * 10 + [422] * 30
        stored = _stored(app, auction_id)
        assert len(stored) == 10
        assert sum(b.credit_cents for b in stored) == 37_000
        with Session(app.state.engine) as session:
            repo = BidRepository(session)
            assert repo.credit_held(alice.id) == repo.credit_resummed(alice.id) == 37_000


class TestOffersUnderConcurrency:
    def test_concurrent_offers_never_oversell_a_holding(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        make_participant: Callable[..., Member],
    ) -> None:
        lse = make_participant("lse")
        allocation = {
            "holder_id": lse.id,
            "year": 2027,
            "month": 1,
            "period_class": "on_peak",
            "source": "1",
            "sink": "3",
            "mw": "21.0",
        }
        assert (
            client.post("/api/v1/holdings", json=allocation, headers=bearer(operator_key)).status_code == 201
        )
        offer = {**BID, "side": "sell", "mw": "5.0"}

        async def run() -> list[httpx.Response]:
            async with _client(app) as http:
                url = f"/api/v1/auctions/{auction_id}/bids"
                return list(
                    await asyncio.gather(
                        *(http.post(url, json=offer, headers=lse.headers) for _ in range(20))
                    )
                )

        codes = sorted(r.status_code for r in asyncio.run(run()))
        assert codes == [201] * 4 + [422] * 16
        assert sum(b.mw_tenths for b in _stored(app, auction_id)) == 200
