"""Security headers, CORS, the documentation pages' assets, production settings and rate limits."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from app.clock import FixedClock
from app.db import transaction
from app.main import create_app
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Environment, InsecureSettingsError, Settings, estimated_entropy_bits
from tests.app.conftest import TEST_SECRET, Database, Member, bearer, empty_tables
from tests.app.http import SyncClient, sync_client


def app_with(database: Database, clock: FixedClock, **overrides: object) -> FastAPI:
    empty_tables(database.engine)
    values: dict[str, object] = {
        "env": Environment.TEST,
        "secret_key": TEST_SECRET,
        "database_url": "sqlite://",
    }
    settings = Settings(**(values | overrides))  # type: ignore[arg-type]
    return create_app(settings, clock=clock, engine=database.engine)


@pytest.fixture
def custom_client(database: Database, clock: FixedClock) -> Iterator[Callable[..., SyncClient]]:
    opened: list[tuple[FastAPI, contextlib.AbstractContextManager[SyncClient]]] = []

    def make(**overrides: object) -> SyncClient:
        application = app_with(database, clock, **overrides)
        context = sync_client(application)
        client = context.__enter__()
        opened.append((application, context))
        return client

    yield make
    for application, context in reversed(opened):
        context.__exit__(None, None, None)
        application.state.jobs.wait_idle(timeout=60)


class TestHeaders:
    def test_api_responses(self, client: SyncClient, operator_key: str) -> None:
        for r in (
            client.get("/api/v1/participants/me", headers=bearer(operator_key)),
            client.get("/api/v1/participants/me"),
            client.get("/api/v1/health"),
        ):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
            assert "script-src 'self'" in r.headers["content-security-policy"]
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["cache-control"] == "no-store"
            assert r.headers["strict-transport-security"].startswith("max-age=")

    def test_no_hsts_in_development(self, custom_client: Callable[..., SyncClient]) -> None:
        client = custom_client(env=Environment.DEVELOPMENT)
        r = client.get("/api/v1/health")
        assert r.status_code == 200 and "strict-transport-security" not in r.headers
        assert r.headers["x-content-type-options"] == "nosniff"

    def test_cors_off_unless_configured(
        self, client: SyncClient, custom_client: Callable[..., SyncClient]
    ) -> None:
        preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        r = client.options("/api/v1/participants", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
        r = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers

        allowed = custom_client(cors_allow_origins="https://portal.example")
        r = allowed.options("/api/v1/participants", headers=preflight | {"Origin": "https://portal.example"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://portal.example"
        r = allowed.options("/api/v1/participants", headers=preflight)
        assert "access-control-allow-origin" not in r.headers


class TestDocsAreSameOrigin:
    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    def test_pages_load_only_assets_of_this_origin(self, client: SyncClient, page: str) -> None:
        r = client.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        references = re.findall(r'(?:src|href|spec-url)="([^"]*)"', r.text)
        assert references, r.text
        for ref in references:
            assert ref.startswith("/") and not ref.startswith("//"), ref
            asset = client.get(ref)
            assert asset.status_code == 200, ref
        assert "http://" not in r.text and "https://" not in r.text

    def test_swagger_asks_no_outside_validator(self, client: SyncClient) -> None:
        init = client.get("/static/docs/swagger-init.js")
        assert init.status_code == 200 and "validatorUrl: null" in init.text

    def test_licences_are_shipped(self, client: SyncClient) -> None:
        for name in ("LICENSE.swagger-ui", "NOTICE.swagger-ui", "LICENSE.redoc", "VERSIONS"):
            assert client.get(f"/static/docs/{name}").status_code == 200, name


class TestProductionSettings:
    def test_sqlite_refused_in_production(self) -> None:
        with pytest.raises(InsecureSettingsError, match="DATABASE_URL"):
            Settings(env=Environment.PRODUCTION, secret_key=secrets.token_hex(32), database_url="sqlite://")

    def test_sqlite_allowed_in_production_on_purpose(self) -> None:
        settings = Settings(
            env=Environment.PRODUCTION,
            secret_key=secrets.token_hex(32),
            database_url="sqlite:///data/x.sqlite3",
            allow_sqlite_in_production=True,
        )
        assert settings.database_url.startswith("sqlite")

    def test_production_without_database_url_refuses_to_start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FTR_ENV", "production")
        monkeypatch.setenv("FTR_SECRET_KEY", secrets.token_hex(32))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("FTR_DATABASE_URL", raising=False)
        with pytest.raises(InsecureSettingsError, match="PostgreSQL"):
            create_app()

    @pytest.mark.parametrize(
        "secret", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Password1234567!", "0123456789abcdef0123"]
    )
    def test_low_entropy_secrets_refused_in_production(self, secret: str) -> None:
        with pytest.raises(InsecureSettingsError, match="bits of entropy"):
            Settings(
                env=Environment.PRODUCTION, secret_key=secret, database_url="postgresql+psycopg://u@h/db"
            )

    def test_generated_secret_accepted(self) -> None:
        secret = secrets.token_hex(32)
        assert estimated_entropy_bits(secret) >= 128
        settings = Settings(
            env=Environment.PRODUCTION, secret_key=secret, database_url="postgresql+psycopg://u@h/db"
        )
        assert settings.secret_key == secret

    def test_entropy_estimate_has_no_credit_for_repetition(self) -> None:
        assert estimated_entropy_bits("ab" * 100) == pytest.approx(200.0, abs=1e-9)
        assert estimated_entropy_bits("") == 0.0


class TestRateLimits:
    def test_per_key(
        self,
        custom_client: Callable[..., SyncClient],
        make_participant_in: Callable[[SyncClient], tuple[str, Member]],
    ) -> None:
        client = custom_client(rate_limit_key_per_s=0.01, rate_limit_key_burst=3)
        oi_key, alice = make_participant_in(client)
        codes = [client.get("/api/v1/participants/me", headers=alice.headers).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.get("/api/v1/participants/me", headers=alice.headers)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/too-many-requests")
        assert client.get("/api/v1/auctions", headers=bearer(oi_key)).status_code == 200, (
            "another key's budget"
        )

    def test_failed_keys_per_address(
        self, custom_client: Callable[..., SyncClient], operator_key: str
    ) -> None:
        client = custom_client(rate_limit_failed_keys_per_s=0.01, rate_limit_failed_keys_burst=5)
        bad = bearer("ftr_000000000000_guess")
        codes = [client.get("/api/v1/auctions", headers=bad).status_code for _ in range(7)]
        assert codes == [401] * 5 + [429] * 2
        r = client.get("/api/v1/auctions", headers=bad)
        assert int(r.headers["retry-after"]) >= 1

    def test_per_address(self, custom_client: Callable[..., SyncClient]) -> None:
        client = custom_client(rate_limit_address_per_s=0.01, rate_limit_address_burst=2)
        codes = [client.get("/api/v1/health").status_code for _ in range(3)]
        assert codes == [200, 200, 429]

    def test_zero_switches_a_limit_off(self, custom_client: Callable[..., SyncClient]) -> None:
        client = custom_client(rate_limit_address_per_s=0, rate_limit_address_burst=0)
        assert {client.get("/api/v1/health").status_code for _ in range(20)} == {200}


@pytest.fixture
def make_participant_in(clock: FixedClock) -> Callable[[SyncClient], tuple[str, Member]]:
    def make(client: SyncClient) -> tuple[str, Member]:
        with transaction(client.app.state.engine) as session:
            service = ParticipantService(session, TEST_SECRET)
            oi = service.create(name="OI", role=Role.OPERATOR, credit_limit_cents=0, now=clock.now())
            trader = service.create(name="alice", role=Role.TRADER, credit_limit_cents=0, now=clock.now())
            oi_key = service.issue_key(oi, now=clock.now()).secret_key
            key = service.issue_key(trader, now=clock.now()).secret_key
            assert trader.id is not None
        return oi_key, Member(id=trader.id, key=key, headers=bearer(key))

    return make
