"""Idempotency keys: one key, one route, one request; a collision is a 422 problem, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.app.conftest import Member
from tests.app.http import SyncClient


def bid(**over: Any) -> dict[str, Any]:
    return {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "10.0", "price": "100.00"} | over


def single(client: SyncClient, auction_id: int, member: Member, key: str, body: dict[str, Any]) -> Any:
    headers = {**member.headers, "Idempotency-Key": key}
    return client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=headers)


def bulk(client: SyncClient, auction_id: int, member: Member, key: str, rows: list[dict[str, Any]]) -> Any:
    headers = {**member.headers, "Idempotency-Key": key}
    return client.post(f"/api/v1/auctions/{auction_id}/bids/bulk", json=rows, headers=headers)


def total(client: SyncClient, auction_id: int, member: Member) -> int:
    r = client.get(f"/api/v1/auctions/{auction_id}/bids?limit=1", headers=member.headers)
    assert r.status_code == 200, r.text
    count: int = r.json()["total"]
    return count


class TestKeyScopedToItsRoute:
    def test_single_then_bulk_with_the_same_key_is_refused(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        assert single(client, auction_id, alice, "k-1", bid()).status_code == 201
        r = bulk(client, auction_id, alice, "k-1", [bid(), bid(mw="2.0")])
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/idempotency-key-reused")
        assert "a single bid" in r.json()["detail"]
        assert total(client, auction_id, alice) == 1

    def test_bulk_then_single_with_the_same_key_is_refused(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        assert bulk(client, auction_id, alice, "k-2", [bid(), bid(mw="2.0")]).status_code == 201
        r = single(client, auction_id, alice, "k-2", bid())
        assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused"), r.text
        assert "a bulk upload" in r.json()["detail"]
        assert total(client, auction_id, alice) == 2

    def test_a_single_key_shaped_like_an_upload_row_is_refused_before_it_can_collide(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        """On main a single bid keyed ``up#2`` made the upload keyed ``up`` hit the unique index: 500."""
        alice = make_participant()
        r = single(client, auction_id, alice, "up#2", bid())
        assert r.status_code == 422, r.text
        assert any(e["field"] == "header.Idempotency-Key" for e in r.json()["errors"])
        r = bulk(client, auction_id, alice, "up", [bid(), bid(mw="2.0"), bid(mw="3.0")])
        assert r.status_code == 201, r.text
        assert total(client, auction_id, alice) == 3

    @pytest.mark.parametrize("key", [b"a b", b"a#", "\u00e9t\u00e9".encode()])
    def test_keys_outside_printable_ascii_without_hash_are_refused(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member], key: bytes
    ) -> None:
        alice = make_participant()
        headers: dict[str, str | bytes] = {**alice.headers, "Idempotency-Key": key}
        r = client.post(f"/api/v1/auctions/{auction_id}/bids/bulk", json=[bid()], headers=headers)
        assert r.status_code == 422, r.text
        assert total(client, auction_id, alice) == 0

    def test_same_key_same_route_different_body_is_refused(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        alice = make_participant()
        assert bulk(client, auction_id, alice, "k-3", [bid()]).status_code == 201
        r = bulk(client, auction_id, alice, "k-3", [bid(mw="7.0")])
        assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused")
        again = bulk(client, auction_id, alice, "k-3", [bid()])
        assert again.status_code == 200 and again.json()["created"] == 0
