"""Database engine factory and the request-owned transaction.

Statement parameters (bid prices, key hashes) never reach a log or an error message: the engine
hides them (``hide_parameters``) and result rows are dropped from SQLAlchemy's DEBUG log. The
engine is built once at start-up (:func:`create_db_engine`), never at import. A request gets one
:class:`~sqlmodel.Session` through :func:`get_session`; the dependency commits when the route
returns and rolls back when it raises. Services ``flush`` to surface constraint errors early and
never commit. Work that must only happen once the data is durable (enqueueing a job) is
registered with :func:`after_commit`.

SQLite (the embedded default) serialises writers: a writing transaction starts with
``BEGIN IMMEDIATE`` so two requests can never both read a participant's book and then both
write (the SQLite equivalent of PostgreSQL's ``SELECT ... FOR UPDATE`` row lock). A read
(``GET``/``HEAD``, and authentication, see :func:`read_engine`) starts with a plain ``BEGIN``: in
WAL mode it reads a snapshot and never waits for a writer. A request's write waits at most
``FTR_SQLITE_WRITE_WAIT_S`` for the write lock and then fails with 503 and ``Retry-After``
(:mod:`app.problems`); jobs and commands wait up to a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

AFTER_COMMIT_KEY = "ftr_after_commit"
READ_ONLY_OPTION = "ftr_read_only"
"""Execution option: the transaction only reads (SQLite: deferred ``BEGIN``, no write lock)."""
BUSY_TIMEOUT_OPTION = "ftr_busy_timeout_ms"
"""Execution option: how long a SQLite transaction waits for the write lock."""
DEFAULT_BUSY_TIMEOUT_MS = 60_000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        timeout_ms = int(options.get(BUSY_TIMEOUT_OPTION, DEFAULT_BUSY_TIMEOUT_MS))
        connection.exec_driver_sql(f"PRAGMA busy_timeout={timeout_ms}")
        connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY_OPTION) else "BEGIN IMMEDIATE")


class _NoResultRows(logging.Filter):
    """Drop SQLAlchemy's DEBUG records of result rows (they hold prices and key hashes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_NO_RESULT_ROWS = _NoResultRows()


def create_db_engine(
    database_url: str, *, connect_args: dict[str, Any] | None = None, pool_max: int = 40
) -> Engine:
    """Build the engine for ``database_url`` (SQLite file or PostgreSQL via psycopg); on PostgreSQL
    the pool opens at most ``pool_max`` connections (see :mod:`app.db_pool`)."""
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NO_RESULT_ROWS)
    url = make_url(database_url)
    args: dict[str, Any] = dict(connect_args or {})
    if url.get_backend_name() == "sqlite":
        in_memory = not url.database or url.database == ":memory:"
        if not in_memory:
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        args.setdefault("check_same_thread", False)
        args.setdefault("timeout", 60)
        pool: dict[str, Any] = {} if in_memory else {"pool_size": 20, "max_overflow": 20}
        engine = create_engine(url, connect_args=args, hide_parameters=True, **pool)
        _prepare_sqlite(engine)
        return engine
    return create_engine(
        url,
        connect_args=args,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=min(10, pool_max),
        max_overflow=max(0, pool_max - 10),
        pool_timeout=60,
    )


def is_postgresql(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the request's transaction has committed (never if it rolls back)."""
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


def run_in_transaction(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits when the block ends normally and rolls back otherwise."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            session.info.pop(AFTER_COMMIT_KEY, None)
            raise
        session.commit()
        for callback in session.info.pop(AFTER_COMMIT_KEY, []):
            callback()


def read_engine(engine: Engine) -> Engine:
    """``engine`` for transactions that only read (SQLite: no write lock, never waits on a writer)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def request_engine(engine: Engine, method: str, write_wait_s: float) -> Engine:
    """The engine a request of ``method`` uses: reads never lock; writes wait ``write_wait_s`` at most."""
    if method in READ_METHODS:
        return read_engine(engine)
    return engine.execution_options(**{BUSY_TIMEOUT_OPTION: round(write_wait_s * 1000)})


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: the request's session and transaction (commit on success)."""
    engine = request_engine(
        request.app.state.engine, request.method, request.app.state.settings.sqlite_write_wait_s
    )
    yield from run_in_transaction(engine)


def transaction(engine: Engine) -> AbstractContextManager[Session]:
    """``with transaction(engine) as session:``, for jobs and commands (same rules as a request)."""
    return contextmanager(run_in_transaction)(engine)
