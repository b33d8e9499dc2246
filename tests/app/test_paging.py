"""List endpoints page by opaque cursor (``?limit=&cursor=``, ``next_cursor``) and filter the bid list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient


def walk(
    client: SyncClient, url: str, headers: dict[str, str], limit: int, **params: str
) -> list[dict[str, Any]]:
    """Every item of a list, page by page, following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        r = client.get(url, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ran out")


def bid(client: SyncClient, auction_id: int, member: Member, cls: str, source: str, sink: str) -> int:
    body = {"period_class": cls, "source": source, "sink": sink, "mw": "1.0", "price": "2.00"}
    r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    bid_id: int = r.json()["id"]
    return bid_id


class TestCursorPaging:
    def test_bids_by_cursor_with_filters(
        self, client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        trader = make_participant()
        url = f"/api/v1/auctions/{auction_id}/bids"
        made = [
            bid(client, auction_id, trader, cls, source, sink)
            for cls, source, sink in (
                ("on_peak", "1", "3"),
                ("off_peak", "1", "3"),
                ("on_peak", "3", "1"),
                ("on_peak", "1", "2"),
                ("off_peak", "2", "3"),
                ("on_peak", "1", "3"),
                ("off_peak", "1", "3"),
            )
        ]
        first = client.get(url, params={"limit": "3"}, headers=trader.headers).json()
        assert [b["id"] for b in first["items"]] == made[:3] and first["total"] == 7
        # A bid stored between two pages is neither skipped nor repeated by the cursor.
        late = bid(client, auction_id, trader, "on_peak", "2", "1")
        rest = walk(client, url, trader.headers, 3, cursor=first["next_cursor"])
        assert [b["id"] for b in first["items"] + rest] == [*made, late]
        assert walk(client, url, trader.headers, 1000) == first["items"] + rest

        assert client.delete(f"/api/v1/bids/{made[0]}", headers=trader.headers).status_code == 200
        on_peak = walk(client, url, trader.headers, 2, **{"class": "onpeak"})
        assert [b["id"] for b in on_peak] == [made[0], made[2], made[3], made[5], late]
        active_path = walk(client, url, trader.headers, 2, source="1", sink="3", status="active")
        assert [b["id"] for b in active_path] == [made[1], made[5], made[6]]
        assert walk(client, url, trader.headers, 2, status="withdrawn") == [
            b for b in on_peak if b["id"] == made[0]
        ]
        assert walk(client, url, trader.headers, 5, side="sell") == []
        r = client.get(url, params={"side": "buy", "class": "off_peak", "limit": "1"}, headers=trader.headers)
        assert r.json()["total"] == 3 and r.json()["next_cursor"] is not None

    def test_a_bad_or_foreign_cursor_and_cursor_with_offset_are_refused(
        self, client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        trader = make_participant()
        for _ in range(3):
            bid(client, auction_id, trader, "on_peak", "1", "3")
        url = f"/api/v1/auctions/{auction_id}/bids"
        cursor = client.get(url, params={"limit": "1"}, headers=trader.headers).json()["next_cursor"]
        r = client.get(url, params={"cursor": cursor, "offset": "1"}, headers=trader.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.offset", r.text
        r = client.get(url, params={"cursor": "not-a-cursor"}, headers=trader.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor", r.text
        r = client.get("/api/v1/participants", params={"cursor": cursor}, headers=bearer(operator_key))
        assert r.status_code == 422 and "participants list" in r.json()["errors"][0]["reason"], r.text

    def test_audit_log_holdings_participants_and_networks_page_by_cursor(
        self, client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
    ) -> None:
        oi = bearer(operator_key)
        traders = [make_participant() for _ in range(4)]
        for t in traders:
            bid(client, auction_id, t, "on_peak", "1", "3")
            bid(client, auction_id, t, "off_peak", "3", "1")
        everyone = walk(client, "/api/v1/participants", oi, 2)
        assert [p["id"] for p in everyone] == sorted(p["id"] for p in everyone)
        assert {t.id for t in traders} <= {p["id"] for p in everyone}

        log = walk(client, "/api/v1/audit-log", oi, 2)
        assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
        chain = f"participant:{traders[1].id}"
        sub = walk(client, "/api/v1/audit-log", oi, 1, chain=chain)
        assert [e["seq"] for e in sub] == [1, 2] and {e["action"] for e in sub} == {"bid.created"}
        global_cursor = client.get("/api/v1/audit-log", params={"limit": "1"}, headers=oi).json()[
            "next_cursor"
        ]
        r = client.get("/api/v1/audit-log", params={"cursor": global_cursor, "chain": chain}, headers=oi)
        assert r.status_code == 422, "a cursor of the global chain does not page a sub-chain"

        networks = walk(client, "/api/v1/networks", oi, 1)
        assert len(networks) >= 1
        assert (
            walk(client, "/api/v1/holdings", oi, 1)
            == client.get("/api/v1/holdings", params={"limit": "1000"}, headers=oi).json()["items"]
        )
