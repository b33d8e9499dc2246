"""The PostgreSQL job queue with real ``ftr worker`` processes (PostgreSQL only).

Workers run as subprocesses with a short heartbeat (0.5 s) and stall timeout (3 s); every wait is
bounded. A worker killed with SIGKILL inside the solve or inside the results transaction leaves no
result row visible at any moment, and a live worker takes the job over and stores the same result
as a clean run, once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from app.audit.tables import AuditLog
from app.bid_fills import BidFill
from app.clearing.tables import BindingConstraint, NodalPrice
from app.clock import FixedClock, SystemClock
from app.db import transaction
from app.errors import JobAlreadyRunning
from app.jobs import Job
from app.jobs.queue import TRANSIENT_RETRIES, Queue
from app.jobs.repository import JobRepository
from app.migrations import PROJECT_ROOT
from app.settings import Environment, Settings
from tests.app.conftest import JANUARY_2027_CLOSES, TEST_SECRET, Database, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import submit_worked_example

HEARTBEAT_S = 0.5
STALLED_S = 3.0
WAIT_S = 120.0


def _queue_url(database: Database) -> str:
    return f"{database.url}?options={quote(database.connect_args['options'])}"


@pytest.fixture
def settings(database: Database) -> Settings:
    if database.backend != "postgresql":
        pytest.skip("the job queue runs on PostgreSQL")
    with database.engine.begin() as conn:
        conn.execute(
            sa.text(
                "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
                "procrastinate_workers CASCADE"
            )
        )
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url=_queue_url(database),
        job_queue="postgres",
        job_heartbeat_s=HEARTBEAT_S,
        job_stalled_s=STALLED_S,
    )


class Workers:
    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[Any] = []

    def start(
        self,
        pause_in: str | None = None,
        pause_s: float = 60.0,
        fail_connect: int = 0,
        database_away_s: float = 0.0,
    ) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.settings.database_url,
            FTR_ENV="test",
            FTR_SECRET_KEY=TEST_SECRET,
            FTR_JOB_QUEUE="postgres",
            FTR_JOB_HEARTBEAT_S=str(HEARTBEAT_S),
            FTR_JOB_STALLED_S=str(STALLED_S),
            PYTHONPATH=str(PROJECT_ROOT),
        )
        if pause_in is not None:
            env.update(FTR_TEST_PAUSE_IN=pause_in, FTR_TEST_PAUSE_S=str(pause_s))
        if fail_connect:
            env.update(FTR_TEST_FAIL_CONNECT=str(fail_connect), FTR_TEST_DB_AWAY_S=str(database_away_s))
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        self.files.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.app.worker_harness"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.logs.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
        for log in self.files:
            log.close()


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(settings, tmp_path)
    yield w
    w.stop()


def _job(engine: Any, job_id: int) -> Job:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _result_rows(engine: Any) -> int:
    with Session(engine) as session:
        return sum(
            int(session.exec(select(func.count()).select_from(t)).one())
            for t in (BidFill, NodalPrice, BindingConstraint)
        )


def _runs_audited(engine: Any) -> list[int]:
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "clearing.run")).all()
        return [int(json.loads(r.payload)["job_id"]) for r in rows]


def _wait(condition: Callable[[], bool], what: str, workers: Workers, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s\n{workers.output()}")


def _start_clearing(client: SyncClient, operator_key: str, auction_id: int) -> int:
    r = client.post(f"/api/v1/auctions/{auction_id}/clear", headers=bearer(operator_key))
    assert r.status_code == 202, r.text
    job_id: int = r.json()["id"]
    return job_id


def _finished(engine: Any, job_id: int) -> Callable[[], bool]:
    return lambda: _job(engine, job_id).status in ("succeeded", "failed", "cancelled")


@pytest.fixture
def closed_book(
    client: SyncClient, auction_id: int, clock: FixedClock, make_participant: Callable[..., Member]
) -> int:
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES)
    return auction_id


class TestWorkerKilled:
    @pytest.mark.parametrize("pause_in", ["solve", "store"])
    def test_another_worker_finishes_the_job_with_the_same_result(
        self,
        app: Any,
        client: SyncClient,
        operator_key: str,
        closed_book: int,
        workers: Workers,
        pause_in: str,
    ) -> None:
        engine = app.state.engine
        doomed = workers.start(pause_in=pause_in)
        job_id = _start_clearing(client, operator_key, closed_book)
        phase = "solve on_peak" if pause_in == "solve" else "store"
        _wait(lambda: _job(engine, job_id).phase == phase, f"the job reaching {phase}", workers)
        time.sleep(0.5)  # well inside the pause (60 s): the fills are written, not committed
        workers.start()
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=20)
        deadline = time.monotonic() + WAIT_S
        while True:
            # Rows first, then the status: the store commits both at once, so rows seen before a
            # finished status would be a partial result (the other order races the commit).
            rows = _result_rows(engine)
            if _finished(engine, job_id)():
                break
            assert rows == 0, "a partial result became visible"
            assert time.monotonic() < deadline, workers.output()
            time.sleep(0.1)
        taken_over = _job(engine, job_id)
        assert taken_over.status == "succeeded", (taken_over.error, workers.output())
        assert "taken over" in taken_over.log
        assert _result_rows(engine) > 0
        # A clean run of the same book on the live worker: identical inputs and result, stored once each.
        again = _start_clearing(client, operator_key, closed_book)
        _wait(_finished(engine, again), "the clean run", workers)
        clean = _job(engine, again)
        assert clean.status == "succeeded" and "taken over" not in clean.log
        assert (clean.input_hash, clean.result_hash) == (taken_over.input_hash, taken_over.result_hash)
        assert sorted(_runs_audited(engine)) == [job_id, again]


class TestQueue:
    def test_two_workers_run_each_job_once(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, workers: Workers
    ) -> None:
        engine = app.state.engine
        workers.start()
        workers.start()
        jobs = []
        for _ in range(3):
            jobs.append(_start_clearing(client, operator_key, closed_book))
            _wait(_finished(engine, jobs[-1]), f"job {jobs[-1]}", workers)
        for job_id in jobs:
            job = _job(engine, job_id)
            assert job.status == "succeeded", job.error
            assert job.log.count("results stored") == 1
        assert sorted(_runs_audited(engine)) == jobs

    def test_a_second_clearing_of_the_same_auction_is_refused_while_one_runs(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, workers: Workers
    ) -> None:
        engine = app.state.engine
        workers.start(pause_in="solve", pause_s=3.0)
        job_id = _start_clearing(client, operator_key, closed_book)
        _wait(lambda: _job(engine, job_id).status == "running", "the job starting", workers)
        r = client.post(f"/api/v1/auctions/{closed_book}/clear", headers=bearer(operator_key))
        assert r.status_code == 409
        assert r.json()["type"].endswith("/job-already-running") and str(closed_book) in r.json()["detail"]
        assert f"clearing job {job_id} running" in r.json()["detail"] and r.json()["job_id"] == job_id
        _wait(_finished(engine, job_id), "the first job", workers)
        assert _job(engine, job_id).status == "succeeded"
        assert _runs_audited(engine) == [job_id]

    def test_a_cancelled_job_stops_and_stores_nothing(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, workers: Workers
    ) -> None:
        engine = app.state.engine
        workers.start(pause_in="solve", pause_s=3.0)
        job_id = _start_clearing(client, operator_key, closed_book)
        _wait(lambda: _job(engine, job_id).phase == "solve on_peak", "the job reaching the solve", workers)
        r = client.post(f"/api/v1/clearing-jobs/{job_id}/cancel", headers=bearer(operator_key))
        assert r.status_code == 200, r.text
        _wait(_finished(engine, job_id), "the cancelled job", workers)
        assert _job(engine, job_id).status == "cancelled"
        assert _result_rows(engine) == 0 and _runs_audited(engine) == []
        auction = client.get(f"/api/v1/auctions/{closed_book}", headers=bearer(operator_key)).json()
        assert auction["status"] == "closed"


def _queue_entries(engine: Any, lock: str) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status::text, (args->>'job_id')::int FROM procrastinate_jobs "
                "WHERE queueing_lock = :lock ORDER BY id"
            ),
            {"lock": lock},
        ).all()
    return [(str(status), int(job_id)) for status, job_id in rows]


def _negate_a_price(engine: Any, auction_id: int) -> None:
    """Change one bid's price after the seal; a second call puts it back as sealed."""
    with engine.begin() as conn:
        bid_id = conn.execute(
            sa.text("SELECT min(id) FROM bid WHERE auction_id = :a"), {"a": auction_id}
        ).scalar_one()
        conn.execute(sa.text("UPDATE bid SET price_cents = -price_cents WHERE id = :b"), {"b": bid_id})


class TestQueueingLock:
    def test_a_second_clearing_of_the_same_class_auctions_is_refused_by_the_queueing_lock(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int
    ) -> None:
        """No worker runs: the first job waits in the queue under ``clearing:auction:<id>``. A second
        job row of the same auction (made past the service's job-table check) cannot be queued: 409
        naming the waiting job. Cancelled while waiting, the first job's queue entry no longer
        blocks the next clearing."""
        engine = app.state.engine
        lock = f"clearing:auction:{closed_book}"
        first = _start_clearing(client, operator_key, closed_book)
        assert _queue_entries(engine, lock) == [("todo", first)]
        r = client.post(f"/api/v1/auctions/{closed_book}/clear", headers=bearer(operator_key))
        assert r.status_code == 409 and r.json()["type"].endswith("/job-already-running")
        assert f"clearing job {first} queued" in r.json()["detail"] and r.json()["job_id"] == first
        with transaction(engine) as session:
            template = JobRepository(session).get(first)
            assert template is not None
            second = Job(
                kind=template.kind,
                status="queued",
                auction_id=template.auction_id,
                year=template.year,
                month=template.month,
                requested_by_id=template.requested_by_id,
                created_at=template.created_at,
            )
            session.add(second)
            session.flush()
            assert second.id is not None
            with pytest.raises(JobAlreadyRunning) as refused:
                app.state.jobs.enqueue(session, second.id)
            session.rollback()
        assert refused.value.extensions["job_id"] == first and lock in refused.value.detail
        assert _queue_entries(engine, lock) == [("todo", first)]
        assert (
            client.post(f"/api/v1/clearing-jobs/{first}/cancel", headers=bearer(operator_key)).json()[
                "status"
            ]
            == "cancelled"
        )
        third = _start_clearing(client, operator_key, closed_book)
        assert _queue_entries(engine, lock) == [("todo", third)]


class TestRetry:
    def test_book_problems_fail_the_job_and_a_retry_stores_the_clean_runs_result(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, workers: Workers
    ) -> None:
        engine = app.state.engine
        oi = bearer(operator_key)
        workers.start()
        assert client.post(f"/api/v1/auctions/{closed_book}/close", headers=oi).status_code == 200  # sealed
        _negate_a_price(engine, closed_book)
        bad = _start_clearing(client, operator_key, closed_book)  # the request does not read the book
        _wait(_finished(engine, bad), "the job on the altered book", workers)
        failed = _job(engine, bad)
        assert failed.status == "failed" and failed.error is not None
        assert failed.error.startswith("bid-book-altered:") and "not the one sealed" in failed.log
        assert _result_rows(engine) == 0 and _runs_audited(engine) == []
        r = client.post(f"/api/v1/clearing-jobs/{bad}/retry", headers=oi)
        assert r.status_code == 202 and r.json()["status"] == "queued", r.text
        _negate_a_price(engine, closed_book)  # the book back as sealed, before the retry runs
        retried = int(r.json()["id"])
        _wait(_finished(engine, retried), "the retried job", workers)
        assert _job(engine, retried).status == "succeeded", _job(engine, retried).error
        assert f"retry of job {bad}" in _job(engine, retried).log
        r = client.post(f"/api/v1/clearing-jobs/{retried}/retry", headers=oi)
        assert r.status_code == 409 and "succeeded" in r.json()["detail"]
        clean = _start_clearing(client, operator_key, closed_book)
        _wait(_finished(engine, clean), "the clean run", workers)
        assert (_job(engine, clean).input_hash, _job(engine, clean).result_hash) == (
            _job(engine, retried).input_hash,
            _job(engine, retried).result_hash,
        )
        with Session(engine) as session:
            audit = session.exec(select(AuditLog).where(AuditLog.action == "job.retry")).all()
        assert [json.loads(a.payload)["retry_of"] for a in audit] == [bad]

    def test_a_lost_database_connection_is_retried_by_the_queue(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, workers: Workers
    ) -> None:
        engine = app.state.engine
        workers.start(fail_connect=1)
        job_id = _start_clearing(client, operator_key, closed_book)
        _wait(_finished(engine, job_id), "the retried job", workers)
        job = _job(engine, job_id)
        assert job.status == "succeeded", (job.error, workers.output())
        assert "transient failure (OperationalError)" in job.log and "taken over" in job.log
        assert job.log.count("results stored") == 1 and _runs_audited(engine) == [job_id]

    def test_a_job_whose_connection_retries_run_out_fails_at_once_with_the_reason(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, workers: Workers
    ) -> None:
        engine = app.state.engine
        # Every attempt loses its connection, and the database is still away for 3 s after the
        # last one, when the worker records the failure: the worker must still end the job.
        workers.start(fail_connect=TRANSIENT_RETRIES + 1, database_away_s=3.0)
        job_id = _start_clearing(client, operator_key, closed_book)
        _wait(_finished(engine, job_id), "the job failing", workers, timeout=90.0)
        job = _job(engine, job_id)
        assert job.status == "failed", workers.output()
        assert job.error is not None and "retries spent" in job.error and "OperationalError" in job.error
        assert "retries spent" in job.log and "nothing was stored" in job.log
        assert job.log.count("the queue runs the job again") == TRANSIENT_RETRIES
        assert _result_rows(engine) == 0 and _runs_audited(engine) == []
        auction = client.get(f"/api/v1/auctions/{closed_book}", headers=bearer(operator_key)).json()
        assert auction["status"] == "closed"
        # The subject is free again: a new clearing is accepted, not refused with 409.
        assert (
            client.post(f"/api/v1/auctions/{closed_book}/clear", headers=bearer(operator_key)).status_code
            == 202
        )

    def test_a_job_whose_queue_entry_ended_unrecorded_is_failed_by_the_sweep(
        self, app: Any, client: SyncClient, operator_key: str, closed_book: int, settings: Settings
    ) -> None:
        engine = app.state.engine
        job_id = _start_clearing(client, operator_key, closed_book)
        queue = Queue(settings.database_url, engine, clock=SystemClock())
        assert queue.fail_orphans() == []  # its queue entry waits: not an orphan
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE job SET status = 'running' WHERE id = :id"), {"id": job_id})
            conn.execute(
                sa.text("UPDATE procrastinate_jobs SET status = 'doing' WHERE args->>'job_id' = :id"),
                {"id": str(job_id)},
            )
        assert queue.fail_orphans() == []  # a worker has it
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE procrastinate_jobs SET status = 'failed' WHERE args->>'job_id' = :id"),
                {"id": str(job_id)},
            )
        assert queue.fail_orphans() == [job_id]
        job = _job(engine, job_id)
        assert job.status == "failed" and job.error is not None and "queue entry ended" in job.error
        assert queue.fail_orphans() == []


class TestServeProcesses:
    def test_two_api_processes_start_beside_a_running_job_and_leave_it_alone(
        self,
        app: Any,
        client: SyncClient,
        operator_key: str,
        closed_book: int,
        workers: Workers,
        settings: Settings,
        tmp_path: Path,
    ) -> None:
        """``ftr serve --workers 2`` starting while a worker clears: the job is not touched, and the
        new API processes take a second job that a worker runs once."""
        engine = app.state.engine
        assert client.post(
            f"/api/v1/auctions/{closed_book}/close", headers=bearer(operator_key)
        ).status_code in (
            200,
            409,
        )
        workers.start(pause_in="solve", pause_s=4.0)
        first = _start_clearing(client, operator_key, closed_book)
        _wait(lambda: _job(engine, first).phase == "solve on_peak", "the job reaching the solve", workers)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ)
        env.update(
            DATABASE_URL=settings.database_url,
            FTR_ENV="test",
            FTR_SECRET_KEY=TEST_SECRET,
            FTR_JOB_QUEUE="postgres",
            PYTHONPATH=str(PROJECT_ROOT),
        )
        log = (tmp_path / "serve.log").open("wb")
        serve = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:

            def ready() -> bool:
                try:
                    return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            _wait(ready, "ftr serve answering /readyz", workers, timeout=60)
            assert _job(engine, first).status in ("running", "succeeded"), "start-up touched a live job"
            _wait(_finished(engine, first), "the first job", workers)
            assert _job(engine, first).status == "succeeded"
            r = httpx.post(
                f"{base}/api/v1/auctions/{closed_book}/clear", headers=bearer(operator_key), timeout=30
            )
            assert r.status_code == 202, r.text
            second = int(r.json()["id"])
            _wait(_finished(engine, second), "the job sent through ftr serve", workers)
            assert _job(engine, second).status == "succeeded"
            assert sorted(_runs_audited(engine)) == [first, second]
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait(timeout=30)
            log.close()
