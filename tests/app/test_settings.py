"""Settings: insecure defaults are refused outside development."""

from __future__ import annotations

import pytest

from app.main import create_app
from app.settings import DEFAULT_SECRET_KEY, Environment, InsecureSettingsError, Settings


class TestDefaultSecrets:
    @pytest.mark.parametrize("env", [Environment.TEST, Environment.PRODUCTION])
    def test_default_secret_refused_outside_development(self, env: Environment) -> None:
        with pytest.raises(InsecureSettingsError, match="FTR_SECRET_KEY"):
            Settings(env=env, database_url="sqlite://")

    def test_short_secret_refused_in_production(self) -> None:
        with pytest.raises(InsecureSettingsError, match="16 characters"):
            Settings(env=Environment.PRODUCTION, secret_key="short", database_url="sqlite://")

    def test_service_refuses_to_start_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FTR_ENV", "production")
        monkeypatch.delenv("FTR_SECRET_KEY", raising=False)
        monkeypatch.setenv("DATABASE_URL", "sqlite://")
        with pytest.raises(InsecureSettingsError):
            create_app()

    def test_development_accepts_default(self) -> None:
        settings = Settings(env=Environment.DEVELOPMENT, database_url="sqlite://")
        assert settings.secret_key == DEFAULT_SECRET_KEY

    def test_database_url_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
        assert Settings().database_url == "postgresql+psycopg://u@h/db"

    def test_default_database_is_sqlite_under_data(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("FTR_DATABASE_URL", raising=False)
        assert Settings().database_url == "sqlite:///data/ftr.sqlite3"
