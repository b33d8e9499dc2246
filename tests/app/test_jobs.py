"""The job package: progress written while a job runs, cancellation, one job table for every kind."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session, func, select

from app.audit.tables import AuditLog
from app.bid_fills import BidFill
from app.clearing import tasks
from app.clearing.engine import ClassOutcome, ClassSnapshot, clear_class
from app.clearing.tables import BindingConstraint, NodalPrice
from app.clock import FixedClock
from app.db import transaction
from app.jobs import Job, JobKind, JobStatus, run_job
from app.participants.repository import ParticipantRepository
from feasibility.progress import ProgressCallback
from tests.app.conftest import JANUARY_2027_CLOSES, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example, wait_for_job

WAIT_S = 60.0


class Gate:
    """Stands in for the clearing engine: stops inside the first solve until the test opens it."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.inside = threading.Event()
        self.open = threading.Event()
        self.seen: list[tuple[str | None, int | None, float]] = []

    def __call__(self, snapshot: ClassSnapshot, progress: ProgressCallback | None = None) -> ClassOutcome:
        if not self.inside.is_set():
            with Session(self.engine) as session:
                job = session.exec(select(Job).where(Job.status == JobStatus.RUNNING)).one()
                self.seen.append((job.phase, job.rows, job.progress))
            self.inside.set()
            if not self.open.wait(WAIT_S):
                raise TimeoutError("the test never opened the gate")
        return clear_class(snapshot, progress=progress)


def _count_results(engine: Any) -> int:
    with Session(engine) as session:
        return sum(
            int(session.exec(select(func.count()).select_from(t)).one())
            for t in (BidFill, NodalPrice, BindingConstraint)
        )


@pytest.fixture
def gate(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Gate:
    g = Gate(app.state.engine)
    monkeypatch.setattr(tasks, "clear_class", g)
    return g


class TestProgress:
    def test_the_row_shows_phase_rows_and_fraction_while_the_solve_runs(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
        gate: Gate,
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key))
        assert gate.inside.wait(WAIT_S), "the clearing never reached the solve"
        running = client.get(f"/api/v1/clearing-jobs/{r.json()['id']}", headers=bearer(operator_key)).json()
        assert running["status"] == "running"
        gate.open.set()
        done = wait_for_job(client, operator_key, r.json()["id"])
        # The worked example has four on-peak orders and none off-peak; classes clear on-peak first.
        phase, rows, fraction = gate.seen[0]
        assert (phase, rows) == ("solve on_peak", 4)
        assert 0.0 < fraction < 1.0
        assert done["status"] == "succeeded" and done["progress"] == pytest.approx(1.0, abs=1e-12)


class TestCancel:
    def test_a_running_clearing_stops_at_its_next_progress_point_and_stores_nothing(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
        gate: Gate,
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        job_id = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key)).json()[
            "id"
        ]
        assert gate.inside.wait(WAIT_S), "the clearing never reached the solve"
        r = client.post(f"/api/v1/clearing-jobs/{job_id}/cancel", headers=bearer(operator_key))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "running" and "cancellation requested" in r.json()["log"][-1]
        gate.open.set()
        app.state.jobs.wait_idle(timeout=WAIT_S)
        job = wait_for_job(client, operator_key, job_id)
        assert job["status"] == "cancelled" and job["error"] is None
        assert _count_results(app.state.engine) == 0
        auction = client.get(f"/api/v1/auctions/{auction_id}", headers=bearer(operator_key)).json()
        assert auction["status"] == "closed"
        # Nothing was left half-done: a new clearing runs and stores its results.
        gate.open.set()
        assert clear(client, operator_key, auction_id)["status"] == "succeeded"
        assert _count_results(app.state.engine) > 0

    def test_a_queued_job_is_cancelled_at_once_and_never_runs(
        self, app: FastAPI, client: SyncClient, operator_key: str, auction_id: int, clock: FixedClock
    ) -> None:
        with transaction(app.state.engine) as session:
            oi = ParticipantRepository(session).get_by_name("The OI")
            assert oi is not None and oi.id is not None
            queued = Job(
                kind=JobKind.CLEARING,
                status=JobStatus.QUEUED,
                auction_id=auction_id,
                year=2027,
                month=1,
                requested_by_id=oi.id,
                created_at=clock.now(),
            )
            session.add(queued)
            session.flush()
            job_id = queued.id
        assert job_id is not None
        r = client.post(f"/api/v1/clearing-jobs/{job_id}/cancel", headers=bearer(operator_key))
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        run_job(app.state.engine, clock, job_id)  # a worker picking it up late does nothing
        body = client.get(f"/api/v1/clearing-jobs/{job_id}", headers=bearer(operator_key)).json()
        assert body["status"] == "cancelled" and body["started_at"] is None

    def test_a_job_of_another_kind_is_not_found(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        job = clear(client, operator_key, auction_id)
        for path in (f"/api/v1/forecast-jobs/{job['id']}", f"/api/v1/settlement/jobs/{job['id']}"):
            assert client.get(path, headers=bearer(operator_key)).status_code == 404
            r = client.post(f"{path}/cancel", headers=bearer(operator_key))
            assert r.status_code == 404 and "not found" in r.json()["detail"]
        # A finished job stays as it was.
        r = client.post(f"/api/v1/clearing-jobs/{job['id']}/cancel", headers=bearer(operator_key))
        assert r.status_code == 200 and r.json()["status"] == "succeeded"


class TestRetry:
    def test_a_failed_clearing_is_retried_from_its_inputs_once_and_audited(
        self,
        app: FastAPI,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        oi = bearer(operator_key)
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        client.post(f"/api/v1/auctions/{auction_id}/close", headers=oi)
        flip = "UPDATE bid SET price_cents = -price_cents WHERE id = (SELECT min(id) FROM bid)"
        with app.state.engine.begin() as conn:
            conn.execute(sa.text(flip))
        failed = clear(client, operator_key, auction_id)
        assert failed["status"] == "failed" and failed["error"].startswith("bid-book-altered:")
        # The book put back as sealed, the OI retries the failed job; a job that succeeded cannot be.
        with app.state.engine.begin() as conn:
            conn.execute(sa.text(flip))
        r = client.post(f"/api/v1/clearing-jobs/{failed['id']}/retry", headers=oi)
        assert r.status_code == 202, r.text
        assert r.headers["location"] == f"/api/v1/clearing-jobs/{r.json()['id']}"
        retried = wait_for_job(client, operator_key, r.json()["id"])
        assert retried["status"] == "succeeded", retried["error"]
        assert f"retry of job {failed['id']}" in retried["log"][0]
        r = client.post(f"/api/v1/clearing-jobs/{retried['id']}/retry", headers=oi)
        assert r.status_code == 409 and r.json()["type"].endswith("/invalid-step")
        for path in (f"/api/v1/forecast-jobs/{failed['id']}", f"/api/v1/settlement/jobs/{failed['id']}"):
            assert client.post(f"{path}/retry", headers=oi).status_code == 404
        clean = clear(client, operator_key, auction_id)
        assert (clean["input_hash"], clean["result_hash"]) == (retried["input_hash"], retried["result_hash"])
        with Session(app.state.engine) as session:
            audit = session.exec(select(AuditLog).where(AuditLog.action == "job.retry")).all()
        assert [json.loads(a.payload) for a in audit] == [
            {"job_id": retried["id"], "retry_of": failed["id"], "kind": "clearing", "status_before": "failed"}
        ]

    def test_a_retry_is_refused_while_a_clearing_of_the_auction_runs(
        self,
        client: SyncClient,
        operator_key: str,
        auction_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
        gate: Gate,
    ) -> None:
        oi = bearer(operator_key)
        submit_worked_example(client, auction_id, make_participant)
        clock.set(JANUARY_2027_CLOSES)
        first = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=oi).json()["id"]
        assert gate.inside.wait(WAIT_S)
        assert client.post(f"/api/v1/clearing-jobs/{first}/cancel", headers=oi).status_code == 200
        gate.open.set()
        assert wait_for_job(client, operator_key, first)["status"] == "cancelled"
        gate.open.clear()
        gate.inside.clear()
        second = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=oi).json()["id"]
        assert gate.inside.wait(WAIT_S)
        r = client.post(f"/api/v1/clearing-jobs/{first}/retry", headers=oi)
        assert r.status_code == 409 and r.json()["job_id"] == second
        assert f"clearing job {second} running" in r.json()["detail"]
        gate.open.set()
        assert wait_for_job(client, operator_key, second)["status"] == "succeeded"
