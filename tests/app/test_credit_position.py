"""Credit in use as a running total: it always equals the sum over the open book."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from app.bids.award_credit import awards_held, awards_resummed
from app.bids.repository import BidRepository
from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member
from tests.app.http import BASE_URL, SyncClient
from tests.app.test_clearing import clear, submit_worked_example
from tests.app.test_settlement import charges_csv, prices_csv, settle, upload


def positions(app: FastAPI, members: list[Member]) -> list[tuple[int, int]]:
    """(running total, re-sum over the book) of each member, in cents."""
    with Session(app.state.engine) as session:
        repo = BidRepository(session)
        return [(repo.credit_held(m.id), repo.credit_resummed(m.id)) for m in members]


def in_use(client: SyncClient, member: Member) -> Decimal:
    r = client.get("/api/v1/participants/me/credit", headers=member.headers)
    assert r.status_code == 200, r.text
    return Decimal(r.json()["credit_in_use"])


def in_use_by_awards(client: SyncClient, member: Member) -> Decimal:
    r = client.get("/api/v1/participants/me/credit", headers=member.headers)
    assert r.status_code == 200, r.text
    return Decimal(r.json()["credit_in_use_by_awards"])


class TestRunningTotal:
    def test_random_operations_keep_the_total_equal_to_the_book(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        rng = random.Random(20261203)
        members = [make_participant(credit_limit="20000.00") for _ in range(3)]
        open_bids: dict[int, list[int]] = {m.id: [] for m in members}
        refused = 0
        for step in range(60):
            member = rng.choice(members)
            mine = open_bids[member.id]
            action = rng.choice(["bid", "bid", "bulk", "modify", "withdraw"])
            mw = f"{rng.randint(1, 40)}.{rng.randint(0, 9)}"
            price = f"{rng.randint(-50, 300)}.{rng.randint(0, 99):02d}"
            if action == "bid":
                body = {"period_class": rng.choice(["on_peak", "off_peak"]), "source": "1", "sink": "3"}
                r = client.post(
                    f"/api/v1/auctions/{auction_id}/bids",
                    json={**body, "mw": mw, "price": price},
                    headers=member.headers,
                )
                if r.status_code == 201:
                    mine.append(r.json()["id"])
            elif action == "bulk":
                text = "period_class,source,sink,mw,price\n" + "".join(
                    f"off_peak,3,1,{rng.randint(1, 9)}.0,{rng.randint(0, 90)}.00\n" for _ in range(5)
                )
                r = client.post(
                    f"/api/v1/auctions/{auction_id}/bids/bulk",
                    content=text.encode(),
                    headers={**member.headers, "content-type": "text/csv"},
                )
                if r.status_code == 201:
                    mine.extend(r.json()["bid_ids"])
            elif action == "modify" and mine:
                r = client.patch(
                    f"/api/v1/bids/{rng.choice(mine)}",
                    json={"mw": mw, "price": price},
                    headers=member.headers,
                )
            elif action == "withdraw" and mine:
                bid_id = mine.pop(rng.randrange(len(mine)))
                r = client.delete(f"/api/v1/bids/{bid_id}", headers=member.headers)
            else:
                continue
            assert r.status_code in (200, 201, 422), r.text
            refused += r.status_code == 422
            for held, resummed in positions(app, members):
                assert held == resummed, f"step {step} ({action})"
        assert refused > 0, "the limits were reached at least once"
        assert all(held > 0 for held, _ in positions(app, members))
        assert in_use(client, members[0]) == Decimal(positions(app, members)[0][0]) / 100

        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        # Orders hold their credit until the results are posted; then their awards hold it.
        assert positions(app, members) != [(0, 0)] * 3
        r = client.post(
            f"/api/v1/auctions/{auction_id}/post", headers={"Authorization": f"Bearer {operator_key}"}
        )
        assert r.status_code == 200, r.text
        assert positions(app, members) == [(0, 0)] * 3
        assert in_use(client, members[0]) == Decimal(in_use_by_awards(client, members[0]))


def award_positions(app: FastAPI, members: list[Member]) -> list[tuple[int, int]]:
    """(awards' running total, re-sum over the posted fills of unsettled months) of each member, in cents."""
    with Session(app.state.engine) as session:
        return [(awards_held(session, m.id), awards_resummed(session, m.id)) for m in members]


def assert_totals_match(app: FastAPI, members: list[Member], step: str) -> None:
    assert all(held == resummed for held, resummed in positions(app, members)), step
    assert all(held == resummed for held, resummed in award_positions(app, members)), step


class TestAwardsRunningTotal:
    def test_posting_settlement_withdrawal_and_concurrent_bids_keep_the_awards_total(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        oi = {"Authorization": f"Bearer {operator_key}"}
        bids = submit_worked_example(client, auction_id, make_participant)
        members = [m for m, *_ in bids.values()]
        spare = bids["B2"][0]
        extra = client.post(
            f"/api/v1/auctions/{auction_id}/bids",
            json={"period_class": "on_peak", "source": "1", "sink": "3", "mw": "5.0", "price": "1.00"},
            headers=spare.headers,
        )
        assert extra.status_code == 201, extra.text
        assert client.delete(f"/api/v1/bids/{extra.json()['id']}", headers=spare.headers).status_code == 200
        assert_totals_match(app, members, "withdrawal")

        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        assert_totals_match(app, members, "clearing")
        assert client.post(f"/api/v1/auctions/{auction_id}/post", headers=oi).status_code == 200
        assert_totals_match(app, members, "posting")
        held = award_positions(app, members)
        assert sum(h for h, _ in held) > 0, "the posted awards hold credit"

        # February's auction: concurrent bids from every member see January's awards in credit in use.
        network = client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["network_version_id"]
        r = client.post(
            "/api/v1/auctions", json={"year": 2027, "month": 2, "network_version_id": network}, headers=oi
        )
        assert r.status_code == 201, r.text
        feb = r.json()["id"]
        assert client.post(f"/api/v1/auctions/{feb}/open", headers=oi).status_code == 200
        clock.set(datetime(2027, 1, 12, tzinfo=UTC))
        order = {"period_class": "off_peak", "source": "3", "sink": "1", "mw": "1.0", "price": "2.00"}

        async def burst() -> list[int]:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
                answers = await asyncio.gather(
                    *(
                        http.post(
                            f"/api/v1/auctions/{feb}/bids",
                            json=order,
                            headers=members[i % len(members)].headers,
                        )
                        for i in range(24)
                    )
                )
            return [a.status_code for a in answers]

        assert client.portal.call(burst) == [201] * 24
        assert_totals_match(app, members, "concurrent bids")
        assert award_positions(app, members) == held, "bids in another auction leave the awards alone"

        # January's first settlement run releases its awards; a correction run releases nothing more.
        clock.set(datetime(2027, 2, 2, tzinfo=UTC))
        for kind, text in (("da_prices", prices_csv(1, [])), ("da_congestion", charges_csv(1, []))):
            assert upload(client, operator_key, 1, kind, text).status_code == 201
        settle(client, operator_key, 1)
        assert_totals_match(app, members, "settlement")
        assert award_positions(app, members) == [(0, 0)] * len(members)
        settle(client, operator_key, 1, reason="correction")
        assert award_positions(app, members) == [(0, 0)] * len(members)
        assert_totals_match(app, members, "re-settlement")
