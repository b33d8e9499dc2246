"""A rate-limit bucket store in PostgreSQL, shared by every process of a deployment.

:class:`app.rate_limit.TokenBucket` keeps its buckets in one process's memory: with ``ftr serve
--workers N`` (or several hosts) a client gets N times the budget. With
``FTR_RATE_LIMIT_STORE=postgres`` the buckets live in the ``rate_limit_bucket`` table instead,
and every process takes its tokens from the same rows.

The table is ``UNLOGGED`` on PostgreSQL (no write-ahead log: cheap writes, emptied after a crash,
which only hands every client a full bucket) and holds one row per budget and key: the tokens
left and when they were counted. A take is one atomic ``INSERT ... ON CONFLICT DO UPDATE``: the
row's lock serialises concurrent takes of one key (no advisory lock, no read-then-write race),
the refill is computed from the database's own clock (``clock_timestamp()``, so processes on
different hosts agree), and the statement returns whether a token was there. Rows whose bucket
has refilled completely are deleted now and then (:data:`SWEEP_EVERY_S`): an absent row is a full
bucket, so the table holds only clients seen within the last ``burst / per_s`` seconds.

Each take is a round trip to the database (about 1 ms on a local server, measured at load 9), made on
a worker thread so the event loop never waits. If the database cannot be reached the request is
let through (logged): the request itself will then fail on the database with a clear 503/500,
and a limiter that refused everything would turn a database hiccup into a full outage.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)

logger = logging.getLogger(__name__)

SWEEP_EVERY_S = 60.0
"""How often one process deletes the rows of buckets that have refilled completely."""


class RateLimitBucket(SQLModel, table=True):
    """One token bucket: ``tokens`` left at ``at_s`` (seconds since the epoch, database clock)."""

    __tablename__ = "rate_limit_bucket"

    budget: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    bucket_key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    tokens: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    at_s: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    refused: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))


_NOW = "EXTRACT(EPOCH FROM clock_timestamp())::double precision"
_LEVEL = f"LEAST(:burst, b.tokens + GREATEST(0, {_NOW} - b.at_s) * :per_s)"
_TAKE = sa.text(
    f"""
    INSERT INTO rate_limit_bucket AS b (budget, bucket_key, tokens, at_s, refused)
    VALUES (:budget, :key, :burst - 1, {_NOW}, false)
    ON CONFLICT (budget, bucket_key) DO UPDATE SET
        tokens = CASE WHEN {_LEVEL} >= 1 THEN {_LEVEL} - 1 ELSE {_LEVEL} END,
        refused = {_LEVEL} < 1,
        at_s = {_NOW}
    RETURNING b.tokens, b.refused
    """
)
_PEEK = sa.text(
    f"SELECT {_LEVEL} FROM rate_limit_bucket AS b WHERE b.budget = :budget AND b.bucket_key = :key"
)
_SWEEP = sa.text(f"DELETE FROM rate_limit_bucket AS b WHERE b.budget = :budget AND {_LEVEL} >= :burst")


class PostgresBucket:
    """The token bucket of one budget (``name``), kept in PostgreSQL; same answers as ``TokenBucket``."""

    def __init__(self, engine: Engine, name: str, per_s: float, burst: int) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(
                "FTR_RATE_LIMIT_STORE=postgres needs a PostgreSQL database "
                f"(this one is {engine.dialect.name})"
            )
        self.engine = engine
        self.name = name
        self.per_s = per_s
        self.burst = burst
        self._swept_at = time.monotonic()
        self._sweep_lock = threading.Lock()

    def _params(self, key: object) -> dict[str, object]:
        return {"budget": self.name, "key": str(key)[:200], "burst": float(self.burst), "per_s": self.per_s}

    def _wait(self, level: float) -> int:
        missing = 1.0 - level
        return 0 if missing <= 0 else max(1, math.ceil(missing / self.per_s))

    def take(self, key: object) -> int:
        """Take a token for ``key``: 0 if there was one, else the whole seconds until there is."""
        try:
            with self.engine.begin() as conn:
                tokens, refused = conn.execute(_TAKE, self._params(key)).one()
                self._maybe_sweep(conn)
        except sa.exc.DBAPIError as exc:
            logger.warning(
                "rate limit %s: store unreachable (%s); request let through", self.name, type(exc).__name__
            )
            return 0
        return self._wait(float(tokens)) if refused else 0

    def wait_s(self, key: object) -> int:
        """Whole seconds until ``key`` has a token (0: it has one now). Takes nothing."""
        try:
            with self.engine.begin() as conn:
                level = conn.execute(_PEEK, self._params(key)).scalar_one_or_none()
        except sa.exc.DBAPIError as exc:
            logger.warning(
                "rate limit %s: store unreachable (%s); request let through", self.name, type(exc).__name__
            )
            return 0
        return 0 if level is None else self._wait(float(level))

    def _maybe_sweep(self, conn: sa.Connection) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_EVERY_S or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            conn.execute(_SWEEP, self._params(""))
        finally:
            self._sweep_lock.release()
