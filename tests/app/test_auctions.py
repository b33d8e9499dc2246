"""Monthly auctions: creation by the OI, the OA 7.1.2 window, the enforced lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, JANUARY_2027_OPENS, Member, bearer
from tests.app.http import SyncClient


class TestCreate:
    def test_two_class_auctions_with_window_and_hours(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        body = {"year": 2027, "month": 1, "network_version_id": network_id}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 201, r.text
        a = r.json()
        assert a["status"] == "draft"
        assert a["opens_at"] == JANUARY_2027_OPENS.isoformat().replace("+00:00", "Z")
        assert a["closes_at"] == JANUARY_2027_CLOSES.isoformat().replace("+00:00", "Z")
        hours = {c["period_class"]: c["hours"] for c in a["classes"]}
        # January 2027: 20 weekdays less New Year's Day = 20 on-peak days x 16 h; 744 hours in all.
        assert hours == {"on_peak": 320, "off_peak": 424}

    @pytest.mark.parametrize(
        ("month", "on_peak", "off_peak"),
        [
            (3, 23 * 16, 743 - 23 * 16),  # DST starts 14 March: 743 hours; 23 weekdays, no holiday
            (7, 21 * 16, 744 - 21 * 16),  # 4 July is a Sunday: observed Monday 5 July
            (11, 21 * 16, 721 - 21 * 16),  # DST ends 7 November: 721 hours; Thanksgiving 25 November
        ],
    )
    def test_class_hours_across_dst_and_holidays(
        self, client: SyncClient, operator_key: str, network_id: int, month: int, on_peak: int, off_peak: int
    ) -> None:
        body = {"year": 2027, "month": month, "network_version_id": network_id}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 201, r.text
        assert {c["period_class"]: c["hours"] for c in r.json()["classes"]} == {
            "on_peak": on_peak,
            "off_peak": off_peak,
        }

    def test_one_auction_per_month(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        body = {"year": 2027, "month": 1, "network_version_id": network_id}
        assert client.post("/api/v1/auctions", json=body, headers=bearer(operator_key)).status_code == 201
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 409

    def test_unknown_network_is_field_error(self, client: SyncClient, operator_key: str) -> None:
        body = {"year": 2027, "month": 1, "network_version_id": 424242}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body.network_version_id"

    def test_past_window_refused(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        body = {"year": 2026, "month": 12, "network_version_id": network_id}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 409
        assert r.json()["type"].endswith("/bid-window-closed")

    def test_bad_month(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        body = {"year": 2027, "month": 13, "network_version_id": network_id}
        r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body.month"

    def test_only_operator_creates(
        self, client: SyncClient, make_participant: Callable[..., Member], network_id: int
    ) -> None:
        body = {"year": 2027, "month": 1, "network_version_id": network_id}
        for role in ("trader", "lse", "transmission_owner", "auditor"):
            r = client.post("/api/v1/auctions", json=body, headers=make_participant(role).headers)
            assert r.status_code == 403, role


class TestLifecycle:
    def test_draft_hidden_from_participants(
        self, client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
    ) -> None:
        body = {"year": 2027, "month": 1, "network_version_id": network_id}
        aid = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key)).json()["id"]
        trader = make_participant()
        assert client.get(f"/api/v1/auctions/{aid}", headers=trader.headers).status_code == 404
        assert client.get("/api/v1/auctions", headers=trader.headers).json()["total"] == 0
        auditor = make_participant("auditor")
        assert client.get(f"/api/v1/auctions/{aid}", headers=auditor.headers).status_code == 200

    def test_clock_closes_the_window(
        self, client: SyncClient, operator_key: str, auction_id: int, clock: FixedClock
    ) -> None:
        oi = bearer(operator_key)
        r = client.post(f"/api/v1/auctions/{auction_id}/close", headers=oi)
        assert r.status_code == 409, "the OI cannot close before the OA 7.1.2 close"
        clock.set(JANUARY_2027_CLOSES - timedelta(microseconds=1))
        assert client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["status"] == "open"
        clock.set(JANUARY_2027_CLOSES)
        assert client.get(f"/api/v1/auctions/{auction_id}", headers=oi).json()["status"] == "closed"
        r = client.post(f"/api/v1/auctions/{auction_id}/close", headers=oi)
        assert r.status_code == 200
        assert r.json()["closed_at"] is not None

    def test_transitions_cannot_skip_or_repeat(
        self, client: SyncClient, operator_key: str, auction_id: int
    ) -> None:
        r = client.post(f"/api/v1/auctions/{auction_id}/open", headers=bearer(operator_key))
        assert r.status_code == 409
        body = r.json()
        assert body["type"].endswith("/invalid-state-transition")
        assert body["current_status"] == "open"

    def test_open_after_close_refused(
        self, client: SyncClient, operator_key: str, network_id: int, clock: FixedClock
    ) -> None:
        body = {"year": 2027, "month": 1, "network_version_id": network_id}
        aid = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key)).json()["id"]
        clock.set(JANUARY_2027_CLOSES + timedelta(hours=1))
        r = client.post(f"/api/v1/auctions/{aid}/open", headers=bearer(operator_key))
        assert r.status_code == 409

    def test_unknown_auction_is_404(self, client: SyncClient, operator_key: str) -> None:
        for path in ("", "/open", "/close"):
            method = client.get if path == "" else client.post
            assert method(f"/api/v1/auctions/987654{path}", headers=bearer(operator_key)).status_code == 404


class TestListFilters:
    def test_by_year_and_by_the_status_the_clock_gives(
        self, client: SyncClient, operator_key: str, auction_id: int, network_id: int, clock: FixedClock
    ) -> None:
        oi = bearer(operator_key)
        body = {"year": 2027, "month": 2, "network_version_id": network_id}
        february = client.post("/api/v1/auctions", json=body, headers=oi).json()["id"]

        def ids(query: str) -> list[int]:
            r = client.get(f"/api/v1/auctions?{query}", headers=oi)
            assert r.status_code == 200, r.text
            page = r.json()
            assert page["total"] == len(page["items"])
            return [a["id"] for a in page["items"]]

        assert ids("status=open") == [auction_id]
        assert ids("status=draft") == [february]
        assert ids("year=2027") == [auction_id, february]
        assert ids("year=2026") == []
        clock.set(JANUARY_2027_CLOSES)
        assert ids("status=open") == [], "the window passed: the January auction shows as closed"
        assert ids("status=closed&year=2027") == [auction_id]

    def test_unknown_status_is_refused_with_the_accepted_list(
        self, client: SyncClient, operator_key: str
    ) -> None:
        r = client.get("/api/v1/auctions?status=running", headers=bearer(operator_key))
        assert r.status_code == 422
        assert "open" in r.text and "posted" in r.text
