"""Service settings, read from the environment (pydantic-settings).

Variables: ``FTR_ENV`` (``development`` | ``test`` | ``production``), ``DATABASE_URL`` (default: a
SQLite file under ``./data/``), ``FTR_SECRET_KEY`` (the pepper API keys are hashed with),
``FTR_CREDIT_FLOOR_CENTS_PER_MWH`` (the per-MWh minimum of the credit rule, see
:mod:`app.bids.credit`), ``FTR_MAX_REQUEST_BYTES`` and ``FTR_MAX_BULK_ROWS`` (upload limits),
``FTR_MAX_CONCURRENT_REQUESTS`` (requests inside the app at once, see :class:`app.limits.InFlightLimit`),
``FTR_DB_POOL_MAX`` (PostgreSQL connections one process may open, default 40; set by ``ftr serve
--workers N`` to a share of ``max_connections``, see :mod:`app.db_pool`),
``FTR_BODY_TIMEOUT_S`` (the deadline of a request body, see :class:`app.limits.BodyLimits`),
``FTR_SQLITE_WRITE_WAIT_S`` (how long a request's write waits for SQLite's write lock before a 503),
``FTR_MAX_CONCURRENT_BULK_UPLOADS`` (bulk uploads at once, see :class:`app.limits.ConcurrencyCap`),
``FTR_AUDIT_SIGNING_KEY_FILE`` (Ed25519 key of the audit checkpoints, see :mod:`app.audit.signing`),
``FTR_SETTLEMENT_STORE`` (where settlement runs' detail files go, see :mod:`app.settlement.detail_store`),
``FTR_KEY_CACHE_TTL_S`` (how long a process keeps an API key it has verified, default 5 s, 0 = never;
see :class:`app.gate.VerifiedKeys`).

Rate limits (:mod:`app.rate_limit`; 0 switches one off): ``FTR_RATE_LIMIT_STORE`` (``memory``, the
default: each process counts its own requests; ``postgres``: every process shares the buckets in
the database, see :mod:`app.rate_limit_store`), ``FTR_RATE_LIMIT_ADDRESS_PER_S``
and ``..._BURST`` (every request from one client address: 100/s, bursts of 1,000),
``FTR_RATE_LIMIT_KEY_PER_S`` and ``..._BURST`` (one API key: 50/s, bursts of 500),
``FTR_RATE_LIMIT_FAILED_KEYS_PER_S`` and ``..._BURST`` (invalid keys from one address: one every 2 s
after 20). ``FTR_CORS_ALLOW_ORIGINS``: comma-separated origins allowed to call the API from a browser
(default none: CORS off).

Production (``FTR_ENV=production``) also refuses a secret with less than 128 bits of estimated
entropy (:func:`estimated_entropy_bits`) and SQLite (the default database) unless
``FTR_ALLOW_SQLITE_IN_PRODUCTION=true``.
``FTR_MARKET_CLOCK`` (``system`` | ``movable``: a market clock the OI moves forward, stored in the
database and shared by ``ftr demo``, ``ftr serve`` and ``ftr clock``; default ``movable`` in development,
``system`` otherwise; refused in production).
``FTR_JOB_QUEUE`` (``in_process``: jobs run on a thread of the service; ``postgres``: on ``ftr worker``
processes, see :mod:`app.jobs.queue`), ``FTR_JOB_HEARTBEAT_S`` and ``FTR_JOB_STALLED_S`` (a worker's
heartbeat period, and how long without one before its job is run again elsewhere),
``FTR_JOB_SOLVE_PROCESS`` (a worker runs each clearing solve in a child process, so its heartbeat
is never starved; ``false`` runs it on the worker's thread).

Outside development the service refuses to start with the default secret: a leaked default
pepper would let anyone who reads the database brute-force nothing, but it would make every
deployment's key hashes comparable, and it signals a deployment nobody configured.
"""

from __future__ import annotations

import math
from collections import Counter
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


class MarketClockMode(StrEnum):
    SYSTEM = "system"
    MOVABLE = "movable"


class RateLimitStore(StrEnum):
    """Where the rate limits' buckets live (``FTR_RATE_LIMIT_STORE``)."""

    MEMORY = "memory"  # each process its own
    POSTGRES = "postgres"  # shared by every process on the database (app.rate_limit_store)


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
    db_pool_max: int = Field(default=40, ge=2, le=1000)
    sqlite_write_wait_s: float = Field(default=5.0, gt=0, le=60)
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    rate_limit_address_per_s: float = Field(default=100.0, ge=0)
    rate_limit_address_burst: int = Field(default=1000, ge=0)
    rate_limit_key_per_s: float = Field(default=50.0, ge=0)
    rate_limit_key_burst: int = Field(default=500, ge=0)
    rate_limit_failed_keys_per_s: float = Field(default=0.5, ge=0)
    rate_limit_failed_keys_burst: int = Field(default=20, ge=0)
    rate_limit_store: RateLimitStore = RateLimitStore.MEMORY
    key_cache_ttl_s: float = Field(default=5.0, ge=0, le=300)
    cors_allow_origins: str = ""
    allow_sqlite_in_production: bool = False
    market_clock: MarketClockMode | None = None

    @property
    def market_clock_mode(self) -> MarketClockMode:
        """``FTR_MARKET_CLOCK``, or its default: movable in development, the system clock elsewhere."""
        if self.market_clock is not None:
            return self.market_clock
        return MarketClockMode.MOVABLE if self.env == Environment.DEVELOPMENT else MarketClockMode.SYSTEM

    job_queue: str = Field(default="in_process", pattern="^(in_process|postgres)$")
    job_heartbeat_s: float = Field(default=10.0, gt=0)
    job_stalled_s: float = Field(default=60.0, gt=0)
    job_solve_process: bool = True
    settlement_store: str = str(DEFAULT_DATA_DIR / "settlement-detail")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != Environment.DEVELOPMENT and self.secret_key == DEFAULT_SECRET_KEY:
            raise InsecureSettingsError(
                f"FTR_SECRET_KEY is the built-in development default; set a secret of your own "
                f"before running with FTR_ENV={self.env.value}"
            )
        if self.env == Environment.PRODUCTION and self.market_clock == MarketClockMode.MOVABLE:
            raise InsecureSettingsError(
                "FTR_MARKET_CLOCK=movable is refused in production: the market runs on the system clock"
            )
        if self.env != Environment.DEVELOPMENT and len(self.secret_key) < 16:
            raise InsecureSettingsError("FTR_SECRET_KEY must be at least 16 characters outside development")
        if self.env == Environment.PRODUCTION:
            bits = estimated_entropy_bits(self.secret_key)
            if bits < MIN_SECRET_BITS:
                raise InsecureSettingsError(
                    f"FTR_SECRET_KEY has about {bits:.0f} bits of entropy; production needs at least "
                    f"{MIN_SECRET_BITS} (generate one: python -c "
                    "'import secrets; print(secrets.token_hex(32))')"
                )
            if self.database_url.startswith("sqlite") and not self.allow_sqlite_in_production:
                raise InsecureSettingsError(
                    "production needs DATABASE_URL pointing at PostgreSQL (it is SQLite: "
                    f"{self.database_url.split('?')[0]!r}); set FTR_ALLOW_SQLITE_IN_PRODUCTION=true to run "
                    "a single-process deployment on SQLite on purpose"
                )
        return self

    @property
    def cors_origins(self) -> list[str]:
        """``FTR_CORS_ALLOW_ORIGINS``, comma-separated; empty (the default): no CORS headers at all."""
        return [o.strip() for o in self.cors_allow_origins.split(",") if o.strip()]


MIN_SECRET_BITS = 128


def estimated_entropy_bits(secret: str) -> float:
    """A cautious estimate of a secret's entropy in bits: the lower of two estimates.

    One counts the alphabet the characters come from (lower case, upper case, digits, other
    printable ASCII, anything else) as if each character were drawn from it uniformly; the other is
    the length times the Shannon entropy of the characters' own frequencies, which catches
    repetition (``aaaa...`` has none). ``secrets.token_hex(32)`` scores about 250 bits.
    """
    if not secret:
        return 0.0
    classes = (
        (str.islower, 26),
        (str.isupper, 26),
        (str.isdigit, 10),
    )
    alphabet = 0
    for test, size in classes:
        if any(c.isascii() and test(c) for c in secret):
            alphabet += size
    if any(c.isascii() and not c.isalnum() for c in secret):
        alphabet += 33
    if any(not c.isascii() for c in secret):
        alphabet += 100
    by_alphabet = len(secret) * math.log2(max(alphabet, 2))
    counts = Counter(secret)
    shannon = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return min(by_alphabet, len(secret) * shannon)
