"""``/healthz``, ``/readyz``, ``/metrics`` and the JSON log format."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.clock import FixedClock
from app.db import transaction
from app.jobs import Job, JobKind, JobStatus
from app.observability import JsonFormatter
from app.participants.repository import ParticipantRepository
from tests.app.conftest import JANUARY_2027_CLOSES, Member
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample line of the Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
        if not labels and line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class TestProbes:
    def test_healthz_and_readyz(self, client: SyncClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "database": "ok", "migrations": "at head"}

    def test_readyz_refuses_a_database_behind_head(self, app: FastAPI, client: SyncClient) -> None:
        with app.state.engine.begin() as conn:
            (head,) = conn.execute(sa.text("SELECT version_num FROM alembic_version")).one()
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0300_forecast'"))
        try:
            r = client.get("/readyz")
            assert r.status_code == 503 and r.json()["ready"] is False
            assert "0300_forecast" in r.json()["migrations"]
        finally:
            with app.state.engine.begin() as conn:
                conn.execute(sa.text("UPDATE alembic_version SET version_num = :h"), {"h": head})

    def test_probes_are_not_in_the_api_document(self, app: FastAPI) -> None:
        paths = app.openapi()["paths"]
        assert not {"/healthz", "/readyz", "/metrics"} & set(paths)


class TestMetrics:
    def test_latency_by_route_bids_job_durations_and_queue_depth(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: object,
        make_participant: Callable[..., Member],
    ) -> None:
        before = client.get("/metrics").text
        submit_worked_example(client, auction_id, make_participant)  # four bids accepted
        trader = make_participant()
        refused = {"period_class": "on_peak", "source": "1", "sink": "1", "mw": "1.0", "price": "1.00"}
        r = client.post(f"/api/v1/auctions/{auction_id}/bids", json=refused, headers=trader.headers)
        assert r.status_code == 422
        clock.set(JANUARY_2027_CLOSES)  # type: ignore[attr-defined]
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        after = client.get("/metrics").text
        route = "/api/v1/auctions/{auction_id}/bids"
        count = "ftr_request_duration_seconds_count"
        assert (
            _sample(after, count, method="POST", route=route)
            - _sample(before, count, method="POST", route=route)
            == 5
        )
        assert (
            _sample(after, "ftr_bid_requests_total", outcome="accepted")
            - _sample(before, "ftr_bid_requests_total", outcome="accepted")
            == 4
        )
        assert (
            _sample(after, "ftr_bid_requests_total", outcome="refused")
            - _sample(before, "ftr_bid_requests_total", outcome="refused")
            == 1
        )
        jobs = "ftr_job_duration_seconds_count"
        assert (
            _sample(after, jobs, kind="clearing", status="succeeded")
            - _sample(before, jobs, kind="clearing", status="succeeded")
            == 1
        )
        assert _sample(after, "ftr_jobs_queued", kind="clearing") == 0
        assert f"/api/v1/auctions/{auction_id}/bids" not in after, "routes are templates, never raw paths"

    def test_job_metrics_come_from_the_job_table_whoever_ran_the_jobs(
        self, app: FastAPI, client: SyncClient, operator_key: str, auction_id: int, clock: FixedClock
    ) -> None:
        """Jobs recorded by other processes (rows written straight to the table here) are in this
        process's scrape: queue depth, running jobs and durations by kind and outcome."""
        now = clock.now()
        with transaction(app.state.engine) as session:
            oi = ParticipantRepository(session).get_by_name("The OI")
            assert oi is not None and oi.id is not None
            oi_id = oi.id

            def job(kind: JobKind, status: JobStatus, seconds: float | None = None) -> Job:
                return Job(
                    kind=kind,
                    status=status,
                    auction_id=auction_id,
                    year=2027,
                    month=1,
                    requested_by_id=oi_id,
                    created_at=now,
                    started_at=None if status == JobStatus.QUEUED else now,
                    finished_at=None if seconds is None else now + timedelta(seconds=seconds),
                )

            session.add(job(JobKind.CLEARING, JobStatus.QUEUED))
            session.add(job(JobKind.FORECAST, JobStatus.RUNNING))
            session.add(job(JobKind.CLEARING, JobStatus.SUCCEEDED, 3.0))
            session.add(job(JobKind.CLEARING, JobStatus.SUCCEEDED, 40.0))
            session.add(job(JobKind.CLEARING, JobStatus.FAILED, 7.0))
        text = client.get("/metrics").text
        assert _sample(text, "ftr_jobs_queued", kind="clearing") == 1
        assert _sample(text, "ftr_jobs_running", kind="forecast") == 1
        assert _sample(text, "ftr_jobs_running", kind="clearing") == 0
        done = {"kind": "clearing", "status": "succeeded"}
        assert _sample(text, "ftr_job_duration_seconds_count", **done) == 2
        assert _sample(text, "ftr_job_duration_seconds_sum", **done) == pytest.approx(43.0, abs=1e-6)
        assert _sample(text, "ftr_job_duration_seconds_bucket", le="5.0", **done) == 1
        assert _sample(text, "ftr_job_duration_seconds_bucket", le="60.0", **done) == 2
        assert _sample(text, "ftr_job_duration_seconds_count", kind="clearing", status="failed") == 1


class TestJsonLogs:
    def test_one_json_object_per_line_without_credentials_or_prices(self) -> None:
        record = logging.LogRecord(
            "app.jobs", logging.INFO, __file__, 1, "got Bearer abc.def for %s", ("x",), None
        )
        record.price_cents = 1234
        record.api_key = "secret"
        record.job_id = 7
        entry = json.loads(JsonFormatter().format(record))
        assert entry["message"] == "got Bearer [hidden] for x"
        assert entry["job_id"] == 7 and entry["logger"] == "app.jobs" and entry["level"] == "INFO"
        assert "price_cents" not in entry and "api_key" not in entry
        assert "1234" not in json.dumps(entry) and "secret" not in json.dumps(entry)
