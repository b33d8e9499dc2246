"""Connection pools of several API processes share PostgreSQL's ``max_connections`` (app.db_pool)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app.db import create_db_engine
from app.db_pool import (
    DEFAULT_POOL_MAX,
    POOL_MAX_ENV,
    RESERVED_CONNECTIONS,
    in_flight_limit,
    pool_max_per_process,
    share_pool_among,
)
from app.limits import InFlightLimit
from app.main import create_app
from app.settings import Settings
from tests.app.conftest import TEST_POSTGRES_URL


class TestShares:
    def test_four_processes_stay_within_the_default_server(self) -> None:
        share = pool_max_per_process(100, 4)
        assert share == (100 - RESERVED_CONNECTIONS) // 4
        assert 4 * share + RESERVED_CONNECTIONS <= 100

    def test_one_process_keeps_the_old_pool(self) -> None:
        assert pool_max_per_process(1000, 1) == DEFAULT_POOL_MAX

    def test_too_small_a_server_is_refused_with_the_numbers(self) -> None:
        with pytest.raises(ValueError, match="max_connections 20 leaves 2 connection"):
            pool_max_per_process(20, 4)

    @pytest.mark.parametrize(("setting", "pool", "admitted"), [(16, 40, 16), (16, 10, 8), (16, 2, 1)])
    def test_requests_admitted_stay_below_the_pool(self, setting: int, pool: int, admitted: int) -> None:
        assert in_flight_limit(setting, pool) == admitted


def test_engine_pool_opens_at_most_pool_max() -> None:
    engine = create_db_engine(TEST_POSTGRES_URL, pool_max=6)
    try:
        pool = engine.pool
        assert isinstance(pool, sa.QueuePool)
        assert pool.size() + pool._max_overflow == 6
    finally:
        engine.dispose()


def test_app_admits_fewer_requests_than_its_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", TEST_POSTGRES_URL)
    monkeypatch.setenv("FTR_ENV", "development")
    monkeypatch.setenv(POOL_MAX_ENV, "8")
    app = create_app(Settings())
    try:
        limits = [m.kwargs["limit"] for m in app.user_middleware if m.cls is InFlightLimit]
        assert limits == [6]
        pool = app.state.engine.pool
        assert pool.size() + pool._max_overflow == 8
    finally:
        app.state.jobs.shutdown()
        app.state.engine.dispose()


def test_serve_shares_the_server_among_its_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_MAX_ENV, "unset below")  # so that the variable is restored afterwards
    monkeypatch.delenv(POOL_MAX_ENV)
    engine = sa.create_engine(TEST_POSTGRES_URL)
    with engine.connect() as conn:
        max_connections = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
    engine.dispose()
    assert share_pool_among(TEST_POSTGRES_URL, 4) == pool_max_per_process(max_connections, 4)
    assert os.environ[POOL_MAX_ENV] == str(pool_max_per_process(max_connections, 4))
    monkeypatch.setenv(POOL_MAX_ENV, "5")  # an operator's own setting wins
    assert share_pool_among(TEST_POSTGRES_URL, 4) is None
    assert share_pool_among("sqlite:///x.db", 4) is None
