"""SQLite under a writer that does not let go: reads go on, writes get 503 with Retry-After, not 500."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.clock import FixedClock
from app.db import transaction
from app.main import create_app
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Environment, Settings
from tests.app.conftest import TEST_SECRET, Database, bearer, empty_tables
from tests.app.http import sync_client


@pytest.fixture
def sqlite_app(database: Database, clock: FixedClock) -> Iterator[FastAPI]:
    if database.backend != "sqlite":
        pytest.skip("PostgreSQL has row locks, not one database-wide write lock")
    empty_tables(database.engine)
    settings = Settings(
        env=Environment.TEST, secret_key=TEST_SECRET, database_url="sqlite://", sqlite_write_wait_s=0.3
    )
    application = create_app(settings, clock=clock, engine=database.engine)
    yield application
    application.state.jobs.wait_idle(timeout=60)


@contextlib.contextmanager
def held_write_lock(database: Database) -> Iterator[None]:
    """Another process's writer in the middle of its transaction."""
    conn = sqlite3.connect(str(make_url(database.url).database), isolation_level=None, timeout=5)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_reads_go_on_and_writes_get_503_while_another_writer_holds_the_lock(
    sqlite_app: FastAPI, operator_key_for: str, database: Database
) -> None:
    with sync_client(sqlite_app) as client, held_write_lock(database):
        oi = bearer(operator_key_for)
        r = client.get("/api/v1/participants/me", headers=oi)
        assert r.status_code == 200, r.text
        assert client.get("/api/v1/auctions", headers=oi).status_code == 200
        body = {"name": "late", "role": "trader", "credit_limit": "10.00"}
        r = client.post("/api/v1/participants", json=body, headers=oi)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/database-busy")


def test_the_write_goes_through_once_the_lock_is_free(sqlite_app: FastAPI, operator_key_for: str) -> None:
    with sync_client(sqlite_app) as client:
        body = {"name": "on-time", "role": "trader", "credit_limit": "10.00"}
        r = client.post("/api/v1/participants", json=body, headers=bearer(operator_key_for))
        assert r.status_code == 201, r.text


@pytest.fixture
def operator_key_for(sqlite_app: FastAPI, clock: FixedClock) -> str:
    with transaction(sqlite_app.state.engine) as session:
        service = ParticipantService(session, TEST_SECRET)
        oi = service.create(name="The OI", role=Role.OPERATOR, credit_limit_cents=0, now=clock.now())
        return service.issue_key(oi, now=clock.now()).secret_key
