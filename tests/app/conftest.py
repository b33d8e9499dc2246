"""Fixtures of the service tests: every test runs against SQLite *and* PostgreSQL.

Each backend's database is built once per run by ``alembic upgrade head`` (SQLite: a file in a
temporary directory; PostgreSQL: a throwaway schema named for the run, dropped at the end, so
parallel runs never collide). Tables are emptied before each test. Requests go through httpx
against the ASGI app.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.db import create_db_engine, transaction
from app.main import create_app
from app.migrations import upgrade
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Environment, Settings
from app.tables import metadata
from network.examples import three_bus
from tests.app.http import SyncClient, sync_client

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_SECRET = "test-secret-key-0123456789abcdef"
BACKENDS = ("sqlite", "postgresql")


def _postgres_reachable(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _ensure_postgres(url: str) -> None:
    if _postgres_reachable(url):
        return
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
            timeout=60,
        )
    if not _postgres_reachable(url):
        raise RuntimeError(f"PostgreSQL is not reachable at {url} (set TEST_POSTGRES_URL)")


@dataclass
class Database:
    backend: str
    engine: Engine
    url: str
    connect_args: dict[str, str]


def _no_fsync_sqlite(engine: Engine) -> None:
    """A throwaway test database need not wait for the disk at every commit."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def _build(backend: str, tmp: Path) -> tuple[Database, Callable[[], None]]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'ftr-test.sqlite3'}"
        engine = create_db_engine(url)
        _no_fsync_sqlite(engine)
        upgrade(engine)
        return Database(backend, engine, url, {}), engine.dispose
    _ensure_postgres(TEST_POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(TEST_POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    # A throwaway test database need not wait for the disk at every commit.
    args = {"options": f"-csearch_path={schema} -csynchronous_commit=off"}
    engine = create_db_engine(TEST_POSTGRES_URL, connect_args=args)
    upgrade(engine)

    def drop() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return Database(backend, engine, TEST_POSTGRES_URL, args), drop


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db, teardown = _build(request.param, tmp_path_factory.mktemp(request.param))
    yield db
    teardown()


def empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
"""Test clock start: before the OA 7.1.2 window of the January 2027 auction opens."""


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        settlement_store=str(tmp_path_factory.mktemp("settlement-detail")),
        # tests stand in for the solver in-process; test_embedded_isolation runs it in a child
        job_solve_process=False,
    )


@pytest.fixture
def app(database: Database, settings: Settings, clock: FixedClock) -> Iterator[FastAPI]:
    empty_tables(database.engine)
    application = create_app(settings, clock=clock, engine=database.engine)
    yield application
    application.state.jobs.wait_idle(timeout=120)


@pytest.fixture
def client(app: FastAPI) -> Iterator[SyncClient]:
    with sync_client(app) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def operator_key(app: FastAPI, settings: Settings, clock: FixedClock) -> str:
    """Bootstrap the OI directly through the service (as ``ftr demo``/``ftr create-participant`` do)."""
    with transaction(app.state.engine) as session:
        service = ParticipantService(session, settings.secret_key)
        oi = service.create(name="The OI", role=Role.OPERATOR, credit_limit_cents=0, now=clock.now())
        return service.issue_key(oi, now=clock.now()).secret_key


@dataclass(frozen=True)
class Member:
    id: int
    key: str
    headers: dict[str, str]


@pytest.fixture
def make_participant(client: SyncClient, operator_key: str) -> Callable[..., Member]:
    counter = iter(range(1, 10_000))

    def make(role: str = "trader", credit_limit: str = "1000000.00", name: str | None = None) -> Member:
        body = {"name": name or f"{role}-{next(counter)}", "role": role, "credit_limit": credit_limit}
        r = client.post("/api/v1/participants", json=body, headers=bearer(operator_key))
        assert r.status_code == 201, r.text
        data = r.json()
        key = data["key"]["api_key"]
        return Member(id=data["participant"]["id"], key=key, headers=bearer(key))

    return make


JANUARY_2027_OPENS = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)
"""00:00 EST on the 15th business day before January 2027 (OA 7.1.2)."""
JANUARY_2027_CLOSES = datetime(2026, 12, 17, 5, 0, tzinfo=UTC)
"""00:00 EST on the 10th business day before January 2027 (OA 7.1.2)."""


def three_bus_json() -> bytes:
    """The docs/rules.md worked example network in our JSON format (from the network package)."""
    from network.json_format import dump_network_json

    return json.dumps(dump_network_json(three_bus())).encode()


def upload_network(
    client: SyncClient, operator_key: str, content: bytes, fmt: str, name: str | None = None
) -> Any:
    data = {"format": fmt} | ({"name": name} if name else {})
    files = {"file": ("case." + ("m" if fmt == "matpower" else "json"), content)}
    return client.post("/api/v1/networks", data=data, files=files, headers=bearer(operator_key))


@pytest.fixture
def network_id(client: SyncClient, operator_key: str) -> int:
    """The three-bus network version (docs/rules.md worked example): pricing points 1, 2, 3."""
    r = upload_network(client, operator_key, three_bus_json(), "json")
    assert r.status_code == 201, r.text
    version_id: int = r.json()["id"]
    return version_id


@pytest.fixture
def auction_id(client: SyncClient, operator_key: str, network_id: int, clock: FixedClock) -> int:
    """The January 2027 auction, opened, with the clock one hour into its window."""
    body = {"year": 2027, "month": 1, "network_version_id": network_id}
    r = client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))
    assert r.status_code == 201, r.text
    aid: int = r.json()["id"]
    r = client.post(f"/api/v1/auctions/{aid}/open", headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    clock.set(JANUARY_2027_OPENS.replace(hour=6))
    return aid
