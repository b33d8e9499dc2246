"""Rate limits shared by every process: two app instances on one PostgreSQL database share a budget.

Each instance has an engine of its own (as two ``ftr serve`` workers would), both on the test
run's PostgreSQL schema, with ``FTR_RATE_LIMIT_STORE=postgres``. On SQLite the shared store is
refused at start-up; the in-memory store (the default) gives each instance its own budget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.clock import FixedClock
from app.db import create_db_engine, transaction
from app.main import create_app
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.rate_limit import bucket
from app.rate_limit_store import PostgresBucket
from app.settings import Environment, RateLimitStore, Settings
from tests.app.conftest import TEST_SECRET, Database, bearer, empty_tables
from tests.app.http import SyncClient, sync_client

TWO = 2


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.TEST,
        "secret_key": TEST_SECRET,
        "database_url": "sqlite://",
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture
def postgres(database: Database) -> Database:
    if database.backend != "postgresql":
        pytest.skip("the shared store is PostgreSQL's")
    empty_tables(database.engine)
    return database


@pytest.fixture
def instances(postgres: Database, clock: FixedClock) -> Iterator[Callable[..., list[SyncClient]]]:
    """``make(**settings)``: two app instances, each with its own engine on the same database."""
    opened: list[tuple[FastAPI, contextlib.AbstractContextManager[SyncClient]]] = []
    engines: list[sa.Engine] = []

    def make(**overrides: object) -> list[SyncClient]:
        clients = []
        for _ in range(TWO):
            engine = create_db_engine(postgres.url, connect_args=postgres.connect_args)
            engines.append(engine)
            application = create_app(_settings(**overrides), clock=clock, engine=engine)
            context = sync_client(application)
            clients.append(context.__enter__())
            opened.append((application, context))
        return clients

    yield make
    for application, context in reversed(opened):
        context.__exit__(None, None, None)
        application.state.jobs.wait_idle(timeout=60)
    for engine in engines:
        engine.dispose()


def _trader_key(engine: sa.Engine, clock: FixedClock) -> str:
    with transaction(engine) as session:
        people = ParticipantService(session, TEST_SECRET)
        trader = people.create(name="alice", role=Role.TRADER, credit_limit_cents=0, now=clock.now())
        return people.issue_key(trader, now=clock.now()).secret_key


class TestSharedBetweenInstances:
    def test_address_budget(self, instances: Callable[..., list[SyncClient]]) -> None:
        a, b = instances(
            rate_limit_store="postgres", rate_limit_address_per_s=0.01, rate_limit_address_burst=4
        )
        codes = [c.get("/api/v1/health").status_code for c in (a, b, a, b, a, b)]
        assert codes == [200, 200, 200, 200, 429, 429]
        r = b.get("/api/v1/health")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["type"].endswith("/too-many-requests")

    def test_key_budget(
        self, instances: Callable[..., list[SyncClient]], postgres: Database, clock: FixedClock
    ) -> None:
        a, b = instances(rate_limit_store="postgres", rate_limit_key_per_s=0.01, rate_limit_key_burst=3)
        key = _trader_key(postgres.engine, clock)
        codes = [c.get("/api/v1/participants/me", headers=bearer(key)).status_code for c in (a, b, a, b)]
        assert codes == [200, 200, 200, 429]

    def test_failed_keys_budget(self, instances: Callable[..., list[SyncClient]]) -> None:
        a, b = instances(
            rate_limit_store="postgres", rate_limit_failed_keys_per_s=0.01, rate_limit_failed_keys_burst=2
        )
        bad = bearer("ftr_000000000000_guess")
        codes = [c.get("/api/v1/auctions", headers=bad).status_code for c in (a, b, a, b)]
        assert codes == [401, 401, 429, 429]

    def test_memory_store_counts_per_instance(self, instances: Callable[..., list[SyncClient]]) -> None:
        a, b = instances(rate_limit_address_per_s=0.01, rate_limit_address_burst=2)
        codes = [c.get("/api/v1/health").status_code for c in (a, b, a, b, a, b)]
        assert codes == [200, 200, 200, 200, 429, 429], "each instance its own budget of 2"


class TestPostgresBucket:
    def test_concurrent_takes_grant_exactly_the_burst(self, postgres: Database) -> None:
        limit = PostgresBucket(postgres.engine, "test", per_s=0.001, burst=25)
        with ThreadPoolExecutor(max_workers=8) as pool:
            waits = list(pool.map(lambda _: limit.take("10.0.0.1"), range(60)))
        assert waits.count(0) == 25
        assert all(w >= 1 for w in waits if w)

    def test_refills_at_its_rate_and_peeks_without_taking(self, postgres: Database) -> None:
        limit = PostgresBucket(postgres.engine, "test", per_s=1000.0, burst=1)
        assert limit.take("k") == 0
        assert limit.wait_s("k") in (0, 1)  # refills within a millisecond
        slow = PostgresBucket(postgres.engine, "slow", per_s=0.5, burst=1)
        assert slow.wait_s("k") == 0 and slow.wait_s("k") == 0, "peeking takes nothing"
        assert slow.take("k") == 0
        assert slow.wait_s("k") == 2, "one token at 0.5/s"
        assert slow.take("k") == 2

    def test_budgets_and_keys_are_separate(self, postgres: Database) -> None:
        one = PostgresBucket(postgres.engine, "one", per_s=0.001, burst=1)
        other = PostgresBucket(postgres.engine, "other", per_s=0.001, burst=1)
        assert [one.take("k"), one.take("k"), one.take("j"), other.take("k")] == [0, 1000, 0, 0]

    def test_full_buckets_are_swept(self, postgres: Database) -> None:
        limit = PostgresBucket(postgres.engine, "sweep", per_s=1000.0, burst=1)
        limit.take("gone")
        limit._swept_at -= 3600  # the next take sweeps; "gone" refilled long ago
        limit.take("kept")
        with postgres.engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT bucket_key FROM rate_limit_bucket WHERE budget = 'sweep'"))
            assert {k for (k,) in keys} <= {"kept"}


def test_refused_on_sqlite(database: Database) -> None:
    if database.backend != "sqlite":
        pytest.skip("SQLite's refusal")
    with pytest.raises(ValueError, match="needs a PostgreSQL database"):
        bucket(1.0, 1, name="address", store=RateLimitStore.POSTGRES, engine=database.engine)
