"""The OA 7.3.7 posting deadline on the auction, the warning as it nears, and a late posting's reason."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example

DEADLINE = datetime(2026, 12, 19, 5, tzinfo=UTC)
"""January 2027 closes Thursday 17 December 2026 00:00 EST: due by Friday 18 December 24:00 EST."""


@pytest.fixture
def cleared(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> int:
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, auction_id)["status"] == "succeeded"
    return auction_id


def state(client: SyncClient, operator_key: str, auction_id: int) -> tuple[str, str]:
    view = client.get(f"/api/v1/auctions/{auction_id}", headers=bearer(operator_key)).json()
    return view["posting_deadline"], view["posting_state"]


class TestDeadline:
    def test_shown_on_the_auction_through_its_states(
        self, client: SyncClient, operator_key: str, auction_id: int, clock: FixedClock
    ) -> None:
        assert state(client, operator_key, auction_id) == ("2026-12-19T05:00:00Z", "pending")
        clock.set(JANUARY_2027_CLOSES)
        assert state(client, operator_key, auction_id)[1] == "due"
        clock.set(DEADLINE - timedelta(hours=24))
        assert state(client, operator_key, auction_id)[1] == "due_soon"
        clock.set(DEADLINE + timedelta(seconds=1))
        assert state(client, operator_key, auction_id)[1] == "overdue"

    def test_warning_logged_as_it_nears(
        self,
        client: SyncClient,
        operator_key: str,
        cleared: int,
        clock: FixedClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        clock.set(DEADLINE - timedelta(hours=3))
        with caplog.at_level(logging.WARNING, logger="app.auctions.service"):
            state(client, operator_key, cleared)
        [record] = [r for r in caplog.records if f"auction {cleared}:" in r.getMessage()]
        assert "due soon" in record.getMessage() and "2026-12-19T05:00:00+00:00" in record.getMessage()

    def test_on_time_posting_needs_no_reason(
        self, client: SyncClient, operator_key: str, cleared: int
    ) -> None:
        r = client.post(f"/api/v1/auctions/{cleared}/post", headers=bearer(operator_key))
        assert r.status_code == 200, r.text
        assert r.json()["posting_state"] == "posted_on_time"

    def test_late_posting_requires_and_audits_a_reason(
        self, client: SyncClient, operator_key: str, cleared: int, clock: FixedClock
    ) -> None:
        oi = bearer(operator_key)
        clock.set(DEADLINE + timedelta(hours=2))
        refused = client.post(f"/api/v1/auctions/{cleared}/post", headers=oi)
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {"field": "body.late_reason", "reason": "required after the posting deadline"}
        ]
        assert "due by 2026-12-19T05:00:00+00:00" in refused.json()["detail"]
        assert client.get(f"/api/v1/auctions/{cleared}", headers=oi).json()["status"] == "cleared"
        blank = client.post(f"/api/v1/auctions/{cleared}/post", json={"late_reason": "   "}, headers=oi)
        assert blank.status_code == 422
        r = client.post(f"/api/v1/auctions/{cleared}/post", json={"late_reason": "solver outage"}, headers=oi)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "posted" and r.json()["posting_state"] == "posted_late"
        log = client.get("/api/v1/audit-log", params={"action": "auction.posted"}, headers=oi).json()
        [entry] = log["items"]
        assert entry["payload"]["late"] is True and entry["payload"]["late_reason"] == "solver outage"
        assert entry["payload"]["posting_deadline"] == "2026-12-19T05:00:00Z"


def deadline_samples(client: SyncClient) -> dict[str, tuple[str, float]]:
    """``ftr_posting_deadline_seconds`` of ``/metrics``: {auction id: (state, seconds left)}."""
    found = {}
    for line in client.get("/metrics").text.splitlines():
        m = re.match(r"ftr_posting_deadline_seconds\{(.*)\} (\S+)$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            found[labels["auction_id"]] = (labels["state"], float(m.group(2)))
    return found


def late_postings(client: SyncClient) -> float:
    [value] = [
        float(line.split()[1])
        for line in client.get("/metrics").text.splitlines()
        if line.startswith("ftr_late_postings_total ")
    ]
    return value


class TestMetrics:
    def test_seconds_to_the_deadline_until_posted(
        self, client: SyncClient, operator_key: str, auction_id: int, clock: FixedClock
    ) -> None:
        assert deadline_samples(client) == {}, "nothing is due while the window is open"
        clock.set(JANUARY_2027_CLOSES)
        left = (DEADLINE - JANUARY_2027_CLOSES).total_seconds()
        assert deadline_samples(client) == {str(auction_id): ("due", left)}
        clock.set(DEADLINE - timedelta(hours=3))
        assert deadline_samples(client) == {str(auction_id): ("due_soon", 3 * 3600.0)}
        clock.set(DEADLINE + timedelta(hours=1))
        assert deadline_samples(client) == {str(auction_id): ("overdue", -3600.0)}
        assert 'month="2027-01"' in client.get("/metrics").text

    def test_late_postings_counted(
        self, client: SyncClient, operator_key: str, cleared: int, clock: FixedClock
    ) -> None:
        assert late_postings(client) == 0
        clock.set(DEADLINE + timedelta(hours=2))
        assert deadline_samples(client)[str(cleared)][0] == "overdue"
        r = client.post(
            f"/api/v1/auctions/{cleared}/post",
            json={"late_reason": "solver outage"},
            headers=bearer(operator_key),
        )
        assert r.status_code == 200, r.text
        assert deadline_samples(client) == {}, "a posted auction is no longer due"
        assert late_postings(client) == 1

    def test_on_time_posting_is_not_late(self, client: SyncClient, operator_key: str, cleared: int) -> None:
        r = client.post(f"/api/v1/auctions/{cleared}/post", headers=bearer(operator_key))
        assert r.status_code == 200, r.text
        assert deadline_samples(client) == {} and late_postings(client) == 0
