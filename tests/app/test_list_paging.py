"""The job lists (filters, cursor), the pricing points list and the auctions list page by cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from app.db import transaction
from app.jobs import Job, JobKind, JobStatus
from app.participants.repository import ParticipantRepository
from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_paging import walk

T0 = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)

JOBS = [  # kind, status, minutes after T0, on the auction
    (JobKind.CLEARING, JobStatus.FAILED, 0, True),
    (JobKind.CLEARING, JobStatus.SUCCEEDED, 10, True),
    (JobKind.FORECAST, JobStatus.SUCCEEDED, 20, True),
    (JobKind.SETTLEMENT, JobStatus.QUEUED, 30, False),
    (JobKind.CLEARING, JobStatus.CANCELLED, 40, True),
    (JobKind.SETTLEMENT, JobStatus.FAILED, 50, False),
]


@pytest.fixture
def jobs(app: FastAPI, auction_id: int, operator_key: str) -> list[int]:
    with transaction(app.state.engine) as session:
        oi = ParticipantRepository(session).get_by_name("The OI")
        assert oi is not None and oi.id is not None
        rows = [
            Job(
                kind=kind,
                status=status,
                auction_id=auction_id if on_auction else None,
                year=2027,
                month=1,
                parameters="{}" if kind is JobKind.FORECAST else None,
                requested_by_id=oi.id,
                created_at=T0 + timedelta(minutes=minutes),
            )
            for kind, status, minutes, on_auction in JOBS
        ]
        session.add_all(rows)
        session.flush()
        return [int(j.id) for j in rows if j.id is not None]


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [int(i["id"]) for i in items]


class TestJobList:
    def test_filters_and_cursor(
        self, client: SyncClient, operator_key: str, auction_id: int, jobs: list[int]
    ) -> None:
        oi = bearer(operator_key)
        every = walk(client, "/api/v1/jobs", oi, 2)
        assert _ids(every) == jobs
        assert [i["href"] for i in every[:4]] == [
            f"/api/v1/clearing-jobs/{jobs[0]}",
            f"/api/v1/clearing-jobs/{jobs[1]}",
            f"/api/v1/forecast-jobs/{jobs[2]}",
            f"/api/v1/settlement/jobs/{jobs[3]}",
        ]
        assert _ids(walk(client, "/api/v1/jobs", oi, 1, kind="clearing")) == [jobs[0], jobs[1], jobs[4]]
        assert _ids(walk(client, "/api/v1/jobs", oi, 1, status="failed")) == [jobs[0], jobs[5]]
        assert _ids(walk(client, "/api/v1/jobs", oi, 5, kind="settlement", status="failed")) == [jobs[5]]
        on_auction = walk(client, "/api/v1/jobs", oi, 2, auction_id=str(auction_id))
        assert _ids(on_auction) == [jobs[0], jobs[1], jobs[2], jobs[4]]
        since = (T0 + timedelta(minutes=20)).isoformat()
        assert _ids(walk(client, "/api/v1/jobs", oi, 2, created_since=since)) == jobs[2:]
        first = client.get("/api/v1/jobs", params={"limit": "2", "kind": "clearing"}, headers=oi).json()
        assert first["total"] == 3 and first["next_cursor"] is not None
        one = client.get(f"/api/v1/jobs/{jobs[3]}", headers=oi).json()
        assert one["kind"] == "settlement" and one["status"] == "queued" and one["auction_id"] is None
        assert client.get("/api/v1/jobs/99999", headers=oi).status_code == 404

    def test_unknown_filter_values_are_422_naming_the_accepted_ones(
        self, client: SyncClient, operator_key: str, make_participant: Any, jobs: list[int]
    ) -> None:
        oi = bearer(operator_key)
        r = client.get("/api/v1/jobs", params={"status": "done"}, headers=oi)
        assert r.status_code == 422
        problem = r.json()["errors"][0]
        assert problem["field"] == "query.status"
        for accepted in ("queued", "running", "succeeded", "failed", "cancelled"):
            assert accepted in problem["reason"]
        r = client.get("/api/v1/jobs", params={"kind": "solve"}, headers=oi)
        assert r.status_code == 422 and "settlement" in r.json()["errors"][0]["reason"]
        r = client.get("/api/v1/jobs", params={"created_since": "2027-01-05T12:00:00"}, headers=oi)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.created_since"
        r = client.get("/api/v1/jobs", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=oi)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"
        trader: Member = make_participant()
        assert client.get("/api/v1/jobs", headers=trader.headers).status_code == 403

    def test_an_auctions_clearing_and_forecast_jobs_filter_and_page(
        self, client: SyncClient, operator_key: str, auction_id: int, jobs: list[int]
    ) -> None:
        oi = bearer(operator_key)
        url = f"/api/v1/auctions/{auction_id}/clearing-jobs"
        assert _ids(walk(client, url, oi, 1)) == [jobs[0], jobs[1], jobs[4]]
        assert _ids(walk(client, url, oi, 1, status="succeeded")) == [jobs[1]]
        since = (T0 + timedelta(minutes=5)).isoformat()
        assert _ids(walk(client, url, oi, 1, created_since=since)) == [jobs[1], jobs[4]]
        assert client.get(url, params={"status": "finished"}, headers=oi).status_code == 422
        # A cursor of another list is refused.
        cursor = client.get(url, params={"limit": "1"}, headers=oi).json()["next_cursor"]
        r = client.get("/api/v1/jobs", params={"cursor": cursor}, headers=oi)
        assert r.status_code == 422
        forecasts = f"/api/v1/auctions/{auction_id}/forecast-jobs"
        assert _ids(walk(client, forecasts, oi, 1)) == [jobs[2]]
        assert _ids(walk(client, forecasts, oi, 1, status="failed")) == []


class TestOtherLists:
    def test_pricing_points_by_cursor(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        oi = bearer(operator_key)
        url = f"/api/v1/networks/{network_id}/pricing-points"
        by_offset = client.get(url, params={"limit": "100"}, headers=oi).json()
        assert by_offset["total"] == 3 and by_offset["next_cursor"] is None
        assert walk(client, url, oi, 1) == by_offset["items"]
        assert walk(client, url, oi, 2) == by_offset["items"]
        first = client.get(url, params={"limit": "1"}, headers=oi).json()
        r = client.get(url, params={"limit": "1", "cursor": first["next_cursor"], "offset": "1"}, headers=oi)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.offset"
        r = client.get("/api/v1/networks", params={"cursor": first["next_cursor"]}, headers=oi)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"

    def test_auctions_by_cursor_with_and_without_a_status(
        self, client: SyncClient, operator_key: str, network_id: int, auction_id: int
    ) -> None:
        oi = bearer(operator_key)
        for month in (3, 2):  # created out of month order: the list is by month
            body = {"year": 2027, "month": month, "network_version_id": network_id}
            assert client.post("/api/v1/auctions", json=body, headers=oi).status_code == 201
        every = walk(client, "/api/v1/auctions", oi, 1)
        assert [(a["year"], a["month"]) for a in every] == [(2027, 1), (2027, 2), (2027, 3)]
        drafts = walk(client, "/api/v1/auctions", oi, 1, status="draft")
        assert [a["month"] for a in drafts] == [2, 3]
        assert [a["month"] for a in walk(client, "/api/v1/auctions", oi, 1, status="open")] == [1]
        assert [a["month"] for a in walk(client, "/api/v1/auctions", oi, 2, year="2027")] == [1, 2, 3]
        r = client.get("/api/v1/auctions", params={"status": "sealed"}, headers=oi)
        assert r.status_code == 422 and "draft" in r.json()["errors"][0]["reason"]
        page = client.get("/api/v1/auctions", params={"limit": "2", "offset": "1"}, headers=oi).json()
        assert [a["month"] for a in page["items"]] == [2, 3] and page["next_cursor"] is None
