"""The market clock of non-production deployments: stored, moved forward by the OI, audited, shared."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.cli import main
from app.clock import FixedClock, MovableClock
from app.main import create_app
from app.settings import Environment, InsecureSettingsError, MarketClockMode, Settings
from tests.app.conftest import (
    JANUARY_2027_CLOSES,
    JANUARY_2027_OPENS,
    START,
    TEST_SECRET,
    Database,
    Member,
    bearer,
    empty_tables,
)
from tests.app.http import SyncClient, sync_client

STRONG_SECRET = secrets.token_hex(32)
PG_URL = "postgresql+psycopg://ftr@db.example:5432/ftr"  # production settings refuse SQLite


@pytest.fixture
def clock() -> MovableClock:
    """The market clock over a fixed system clock standing at :data:`START`."""
    return MovableClock(FixedClock(START))


def move(client: SyncClient, operator_key: str, **body: str) -> dict[str, object]:
    r = client.post("/api/v1/market-clock", json=body, headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


class TestMove:
    def test_reads_the_system_clock_until_moved(self, client: SyncClient, operator_key: str) -> None:
        r = client.get("/api/v1/market-clock", headers=bearer(operator_key))
        assert r.status_code == 200, r.text
        assert r.json() == {"now": "2026-12-01T12:00:00Z", "offset_seconds": 0.0, "movable": True}

    def test_advance_and_to_move_it_forward_and_are_audited(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        assert move(client, operator_key, advance="P2D")["now"] == "2026-12-03T12:00:00Z"
        moved = move(client, operator_key, to="2026-12-10T06:00:00+00:00")
        assert moved["now"] == "2026-12-10T06:00:00Z"
        assert moved["offset_seconds"] == pytest.approx(8.75 * 86_400, abs=1e-6)
        trader = make_participant()
        seen = client.get("/api/v1/market-clock", headers=trader.headers).json()
        assert seen["now"] == "2026-12-10T06:00:00Z"
        log = client.get(
            "/api/v1/audit-log", params={"action": "market_clock.moved"}, headers=bearer(operator_key)
        ).json()
        moves = [(e["payload"]["from"], e["payload"]["to"]) for e in log["items"]]
        assert sorted(moves) == [
            ("2026-12-01T12:00:00Z", "2026-12-03T12:00:00Z"),
            ("2026-12-03T12:00:00Z", "2026-12-10T06:00:00Z"),
        ]

    @pytest.mark.parametrize(
        ("body", "status", "slug"),
        [
            ({"to": "2026-12-01T11:00:00+00:00"}, 422, "market-clock-backwards"),
            ({"to": "2026-12-01T12:00:00+00:00"}, 422, "market-clock-backwards"),
            ({"advance": "-PT1H"}, 422, "validation-failed"),
            ({"advance": "PT1H", "to": "2027-01-01T00:00:00+00:00"}, 422, "validation-failed"),
            ({}, 422, "validation-failed"),
            ({"to": "2027-01-01T00:00:00"}, 422, "validation-failed"),
        ],
    )
    def test_only_forward_and_exactly_one_target(
        self, client: SyncClient, operator_key: str, body: dict[str, str], status: int, slug: str
    ) -> None:
        r = client.post("/api/v1/market-clock", json=body, headers=bearer(operator_key))
        assert r.status_code == status and r.json()["type"].endswith(slug), r.text
        assert (
            client.get("/api/v1/market-clock", headers=bearer(operator_key)).json()["offset_seconds"] == 0.0
        )

    def test_only_the_oi_moves_it(self, client: SyncClient, make_participant: Callable[..., Member]) -> None:
        for role in ("trader", "auditor"):
            r = client.post(
                "/api/v1/market-clock", json={"advance": "PT1H"}, headers=make_participant(role).headers
            )
            assert r.status_code == 403
        assert client.post("/api/v1/market-clock", json={"advance": "PT1H"}).status_code == 401

    def test_the_oi_walks_an_auction_through_its_window(
        self, client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
    ) -> None:
        oi = bearer(operator_key)
        aid = client.post(
            "/api/v1/auctions", json={"year": 2027, "month": 1, "network_version_id": network_id}, headers=oi
        ).json()["id"]
        opened = client.post(f"/api/v1/auctions/{aid}/open", headers=oi).json()
        assert opened["status"] == "open" and opened["allowed_now"] == []
        assert opened["next_change_at"] == "2026-12-10T05:00:00Z"
        trader = make_participant()
        bid = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}
        early = client.post(f"/api/v1/auctions/{aid}/bids", json=bid, headers=trader.headers)
        assert early.status_code == 409
        assert "bids open at 2026-12-10T05:00:00+00:00" in early.json()["detail"]
        close = client.post(f"/api/v1/auctions/{aid}/close", headers=oi)
        assert (
            close.status_code == 409
            and "can be closed from 2026-12-17T05:00:00+00:00" in close.json()["detail"]
        )
        assert "open until" not in close.json()["detail"]

        move(client, operator_key, to=JANUARY_2027_OPENS.isoformat())
        view = client.get(f"/api/v1/auctions/{aid}", headers=trader.headers).json()
        assert view["allowed_now"] == ["bid"] and view["next_change_at"] == "2026-12-17T05:00:00Z"
        assert (
            client.post(f"/api/v1/auctions/{aid}/bids", json=bid, headers=trader.headers).status_code == 201
        )
        close = client.post(f"/api/v1/auctions/{aid}/close", headers=oi)
        assert (
            close.status_code == 409
            and "takes bids until 2026-12-17T05:00:00+00:00" in close.json()["detail"]
        )

        move(client, operator_key, to=JANUARY_2027_CLOSES.isoformat())
        late = client.post(f"/api/v1/auctions/{aid}/bids", json=bid, headers=trader.headers)
        assert late.status_code == 409 and "closed at 2026-12-17T05:00:00+00:00" in late.json()["detail"]
        assert client.get(f"/api/v1/auctions/{aid}", headers=oi).json()["allowed_now"] == ["close"]
        closed = client.post(f"/api/v1/auctions/{aid}/close", headers=oi)
        assert closed.status_code == 200 and closed.json()["allowed_now"] == ["clear"]


class TestShared:
    def test_a_second_service_on_the_database_reads_the_moved_clock(
        self, app: FastAPI, client: SyncClient, operator_key: str
    ) -> None:
        move(client, operator_key, advance="PT6H")
        other = create_app(app.state.settings, clock=MovableClock(FixedClock(START)), engine=app.state.engine)
        with sync_client(other) as second:
            seen = second.get("/api/v1/market-clock", headers=bearer(operator_key)).json()
        assert seen["now"] == "2026-12-01T18:00:00Z"


class TestFixed:
    def test_the_system_clock_is_never_moved(self, database: Database) -> None:
        empty_tables(database.engine)
        settings = Settings(env=Environment.TEST, secret_key=TEST_SECRET, database_url="sqlite://")
        application = create_app(settings, clock=FixedClock(START), engine=database.engine)
        from app.db import transaction
        from app.participants.roles import Role
        from app.participants.service import ParticipantService

        with transaction(database.engine) as session:
            service = ParticipantService(session, TEST_SECRET)
            oi = service.create(name="OI", role=Role.OPERATOR, credit_limit_cents=0, now=START)
            key = service.issue_key(oi, now=START).secret_key
        with sync_client(application) as client:
            r = client.post("/api/v1/market-clock", json={"advance": "PT1H"}, headers=bearer(key))
            assert r.status_code == 409 and r.json()["type"].endswith("/market-clock-fixed")
            assert "FTR_MARKET_CLOCK" in r.json()["detail"]
            assert client.get("/api/v1/market-clock", headers=bearer(key)).json()["movable"] is False


class TestSettings:
    def test_default_is_movable_only_in_development(self) -> None:
        dev = Settings(env=Environment.DEVELOPMENT)
        assert dev.market_clock_mode is MarketClockMode.MOVABLE
        prod = Settings(env=Environment.PRODUCTION, secret_key=STRONG_SECRET, database_url=PG_URL)
        assert prod.market_clock_mode is MarketClockMode.SYSTEM
        test = Settings(env=Environment.TEST, secret_key="x" * 32, market_clock=MarketClockMode.MOVABLE)
        assert test.market_clock_mode is MarketClockMode.MOVABLE

    def test_movable_refused_in_production(self) -> None:
        with pytest.raises(InsecureSettingsError, match="FTR_MARKET_CLOCK=movable is refused in production"):
            Settings(
                env=Environment.PRODUCTION,
                secret_key=STRONG_SECRET,
                database_url=PG_URL,
                market_clock=MarketClockMode.MOVABLE,
            )


class TestCommand:
    @pytest.fixture
    def database_url(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
        url = f"sqlite:///{tmp_path / 'clock.sqlite3'}"
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("FTR_ENV", "development")
        monkeypatch.delenv("FTR_MARKET_CLOCK", raising=False)
        assert main(["migrate"]) == 0
        yield url

    def test_moves_are_stored_and_forward_only(
        self, database_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        capsys.readouterr()
        assert main(["clock"]) == 0
        assert "(system clock +0.00 h)" in capsys.readouterr().out
        assert main(["clock", "--advance", "6h"]) == 0
        assert "(system clock +6.00 h)" in capsys.readouterr().out
        assert main(["clock", "--advance", "P1D"]) == 0
        assert "(system clock +30.00 h)" in capsys.readouterr().out
        assert main(["clock", "--to", "2000-01-01T00:00:00+00:00"]) == 2
        assert "only moves forward" in capsys.readouterr().err
        assert main(["clock"]) == 0
        assert "(system clock +30.00 h)" in capsys.readouterr().out
        assert main(["audit", "verify"]) == 0

    def test_refused_where_the_clock_is_the_system_clock(
        self, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("FTR_MARKET_CLOCK", "system")
        assert main(["clock", "--advance", "1h"]) == 2
        assert "FTR_MARKET_CLOCK" in capsys.readouterr().err
