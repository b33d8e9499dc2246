"""Database engine factory and the request-owned transaction.

The engine is built once at start-up (:func:`create_db_engine`), never at import. A request gets
one :class:`~sqlmodel.Session` through :func:`get_session`; the dependency commits when the route
returns and rolls back when it raises. Services ``flush`` to surface constraint errors early and
never commit. Work that must only happen once the data is durable (enqueueing a job) is
registered with :func:`after_commit`.

SQLite (the embedded default) serialises writers: every transaction starts with
``BEGIN IMMEDIATE`` so two requests can never both read a participant's book and then both
write (the SQLite equivalent of PostgreSQL's ``SELECT ... FOR UPDATE`` row lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

AFTER_COMMIT_KEY = "ftr_after_commit"


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(database_url: str, *, connect_args: dict[str, Any] | None = None) -> Engine:
    """Build the engine for ``database_url`` (SQLite file or PostgreSQL via psycopg)."""
    url = make_url(database_url)
    args: dict[str, Any] = dict(connect_args or {})
    if url.get_backend_name() == "sqlite":
        in_memory = not url.database or url.database == ":memory:"
        if not in_memory:
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        args.setdefault("check_same_thread", False)
        args.setdefault("timeout", 60)
        pool: dict[str, Any] = {} if in_memory else {"pool_size": 20, "max_overflow": 20}
        engine = create_engine(url, connect_args=args, **pool)
        _prepare_sqlite(engine)
        return engine
    return create_engine(
        url, connect_args=args, pool_pre_ping=True, pool_size=10, max_overflow=30, pool_timeout=60
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


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: the request's session and transaction (commit on success)."""
    yield from run_in_transaction(request.app.state.engine)


def transaction(engine: Engine) -> AbstractContextManager[Session]:
    """``with transaction(engine) as session:``, for jobs and commands (same rules as a request)."""
    return contextmanager(run_in_transaction)(engine)
