"""Service settings, read from the environment (pydantic-settings).

Variables: ``FTR_ENV`` (``development`` | ``test`` | ``production``), ``DATABASE_URL`` (default: a
SQLite file under ``./data/``), ``FTR_SECRET_KEY`` (the pepper API keys are hashed with),
``FTR_CREDIT_FLOOR_CENTS_PER_MWH`` (the per-MWh minimum of the credit rule, see
:mod:`app.bids.credit`), ``FTR_MAX_REQUEST_BYTES`` and ``FTR_MAX_BULK_ROWS`` (upload limits),
``FTR_MAX_CONCURRENT_REQUESTS`` (requests inside the app at once, see :class:`app.limits.InFlightLimit`),
``FTR_MAX_CONCURRENT_BULK_UPLOADS`` (bulk uploads at once, see :class:`app.limits.ConcurrencyCap`),
``FTR_AUDIT_SIGNING_KEY_FILE`` (Ed25519 key of the audit checkpoints, see :mod:`app.audit.signing`),
``FTR_SETTLEMENT_STORE`` (where settlement runs' detail files go, see :mod:`app.settlement.detail_store`).

Outside development the service refuses to start with the default secret: a leaked default
pepper would let anyone who reads the database brute-force nothing, but it would make every
deployment's key hashes comparable, and it signals a deployment nobody configured.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "development-only-secret-change-me"
DEFAULT_DATA_DIR = Path("data")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class InsecureSettingsError(RuntimeError):
    """The settings are not safe for the chosen environment; the message names the variable."""


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_DATA_DIR / 'ftr.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FTR_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "FTR_DATABASE_URL", "database_url"),
    )
    secret_key: str = DEFAULT_SECRET_KEY
    credit_floor_cents_per_mwh: int = Field(default=10, ge=0)
    max_request_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_bulk_rows: int = Field(default=100_000, gt=0)
    max_concurrent_bulk_uploads: int = Field(default=2, ge=1)
    audit_signing_key_file: Path | None = None
    job_workers: int = Field(default=1, ge=1)
    max_concurrent_requests: int = Field(default=16, ge=1, le=32)
    settlement_store: str = str(DEFAULT_DATA_DIR / "settlement-detail")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != Environment.DEVELOPMENT and self.secret_key == DEFAULT_SECRET_KEY:
            raise InsecureSettingsError(
                f"FTR_SECRET_KEY is the built-in development default; set a secret of your own "
                f"before running with FTR_ENV={self.env.value}"
            )
        if self.env != Environment.DEVELOPMENT and len(self.secret_key) < 16:
            raise InsecureSettingsError("FTR_SECRET_KEY must be at least 16 characters outside development")
        return self
