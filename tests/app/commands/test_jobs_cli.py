"""``ftr jobs list|show|retry|cancel``: the API's job services from the command line (SQLite and
PostgreSQL, the in-process runner: ``retry`` runs the job to its end here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session, select

from app.audit.tables import AuditLog
from app.cli import main
from app.clock import FixedClock
from app.db import transaction
from app.jobs import Job, JobKind, JobStatus
from app.jobs.repository import JobRepository
from app.participants.repository import ParticipantRepository
from tests.app.conftest import JANUARY_2027_CLOSES, Database, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example

FLIP = "UPDATE bid SET price_cents = -price_cents WHERE id = (SELECT min(id) FROM bid)"


def _cli_url(database: Database) -> str:
    if not database.connect_args:
        return database.url
    return f"{database.url}?options={quote(database.connect_args['options'])}"


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", _cli_url(database))
    monkeypatch.setenv("FTR_ENV", "development")
    monkeypatch.delenv("FTR_JOB_QUEUE", raising=False)


@pytest.fixture
def failed_clearing(
    app: FastAPI,
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> dict[str, Any]:
    """A clearing job that failed on a bid book altered after the seal (put back as sealed after)."""
    submit_worked_example(client, auction_id, make_participant)
    clock.set(JANUARY_2027_CLOSES)
    assert (
        client.post(f"/api/v1/auctions/{auction_id}/close", headers=bearer(operator_key)).status_code == 200
    )
    with app.state.engine.begin() as conn:
        conn.execute(sa.text(FLIP))
    failed = clear(client, operator_key, auction_id)
    assert failed["status"] == "failed"
    with app.state.engine.begin() as conn:
        conn.execute(sa.text(FLIP))
    return failed


def _audit(engine: Any, action: str) -> list[tuple[str, dict[str, Any]]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.seq)).all()
        return [(r.actor, json.loads(r.payload)) for r in rows]


def test_list_and_show_filter_like_the_api(
    failed_clearing: dict[str, Any], cli_env: None, auction_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = failed_clearing["id"]
    assert (
        main(["jobs", "list", "--kind", "clearing", "--status", "failed", "--auction", str(auction_id)]) == 0
    )
    captured = capsys.readouterr()
    assert (
        captured.out.split()[:3] == [str(job_id), "clearing", "failed"] and "bid-book-altered" in captured.out
    )
    assert "1 of 1 jobs" in captured.err
    assert main(["jobs", "list", "--status", "succeeded"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "0 of 0 jobs" in captured.err
    assert main(["jobs", "list", "--kind", "settlement"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["jobs", "list", "--since", "2099-01-01T00:00:00+00:00"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["jobs", "show", str(job_id)]) == 0
    out = capsys.readouterr().out
    assert (
        f"/api/v1/clearing-jobs/{job_id}" in out and "bid-book-altered" in out and "nothing was stored" in out
    )
    assert main(["jobs", "show", "99999"]) == 2
    assert "job 99999 not found" in capsys.readouterr().err
    for bad in (["--status", "done"], ["--kind", "solve"], ["--since", "2027-01-01"], ["--limit", "0"]):
        with pytest.raises(SystemExit) as exited:
            code = main(["jobs", "list", *bad])
            raise SystemExit(code)
        assert exited.value.code == 2, bad


def test_retry_runs_the_job_audited_and_refuses_as_the_api_does(
    app: FastAPI,
    client: SyncClient,
    operator_key: str,
    failed_clearing: dict[str, Any],
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = app.state.engine
    failed_id = failed_clearing["id"]
    assert main(["jobs", "retry", str(failed_id), "--operator", "nobody"]) == 2
    assert "not an operator" in capsys.readouterr().err
    assert main(["jobs", "retry", str(failed_id), "--operator", "The OI"]) == 0
    out = capsys.readouterr().out
    listed = client.get("/api/v1/jobs?kind=clearing&status=succeeded", headers=bearer(operator_key)).json()
    assert listed["total"] == 1
    retried = listed["items"][0]
    assert retried["retry_of"] == failed_id and f"clearing job {retried['id']} queued" in out
    assert "results stored; auction cleared" in out
    with Session(engine) as session:
        oi = ParticipantRepository(session).get_by_name("The OI")
        assert oi is not None
    assert _audit(engine, "job.retry") == [
        (
            f"participant:{oi.id}",
            {"job_id": retried["id"], "retry_of": failed_id, "kind": "clearing", "status_before": "failed"},
        )
    ]
    # The refusals of the API: a job that succeeded is not retried; nor a job that does not exist.
    assert main(["jobs", "retry", str(retried["id"]), "--operator", "The OI"]) == 2
    assert "only a failed or cancelled job can be retried" in capsys.readouterr().err
    assert main(["jobs", "retry", "99999", "--operator", "The OI"]) == 2
    assert "not found" in capsys.readouterr().err
    # Posted, the auction's failed clearing is not retried (the clearing's own precondition).
    assert (
        client.post(
            f"/api/v1/auctions/{failed_clearing['auction_id']}/post", headers=bearer(operator_key)
        ).status_code
        == 200
    )
    assert main(["jobs", "retry", str(failed_id), "--operator", "The OI"]) == 2
    assert "posted" in capsys.readouterr().err
    assert len(_audit(engine, "job.retry")) == 1


def test_cancel_is_audited_and_a_finished_job_is_left_as_it_is(
    app: FastAPI,
    failed_clearing: dict[str, Any],
    cli_env: None,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = app.state.engine
    with transaction(engine) as session:
        oi = ParticipantRepository(session).get_by_name("The OI")
        assert oi is not None and oi.id is not None
        waiting = JobRepository(session).add(
            Job(
                kind=JobKind.SETTLEMENT,
                status=JobStatus.QUEUED,
                year=2027,
                month=1,
                requested_by_id=oi.id,
                created_at=clock.now() + timedelta(seconds=1),
            )
        )
        waiting_id = waiting.id
    assert main(["jobs", "cancel", str(waiting_id), "--operator", "The OI"]) == 0
    assert "cancelled" in capsys.readouterr().out
    with Session(engine) as session:
        job = session.get(Job, waiting_id)
        assert job is not None and job.status == "cancelled" and "cancelled before it started" in job.log
    assert _audit(engine, "job.cancel") == [
        (
            f"participant:{oi.id}",
            {"job_id": waiting_id, "kind": "settlement", "status_before": "queued"},
        )
    ]
    assert main(["jobs", "cancel", str(failed_clearing["id"]), "--operator", "The OI"]) == 0
    assert "failed" in capsys.readouterr().out
    assert len(_audit(engine, "job.cancel")) == 1
    assert main(["jobs", "cancel", "99999", "--operator", "The OI"]) == 2
    assert main(["jobs", "cancel", str(waiting_id), "--operator", "nobody"]) == 2
