"""How many PostgreSQL connections one API process may open, from the server's ``max_connections``.

Why: each API process has its own connection pool. With the old fixed pool (10 + 30 overflow per
process) four processes could ask for 160 connections from a server that allows 100 (PostgreSQL's
default ``max_connections``); under load the requests past the limit failed with 500 (PostgreSQL
refuses the connection), while the extra connections bought nothing: a process keeps at most
``FTR_MAX_CONCURRENT_REQUESTS`` requests inside the application (:class:`app.limits.InFlightLimit`).

``FTR_DB_POOL_MAX`` (:class:`app.settings.Settings`) caps one process's pool; ``ftr serve`` and
``ftr demo`` with several API processes on PostgreSQL set it, when it is not set already, to an
equal share of ``max_connections`` less :data:`RESERVED_CONNECTIONS`
(:func:`pool_max_per_process`). A process then admits at most ``FTR_DB_POOL_MAX`` - 2 requests at
once (:func:`in_flight_limit`), so a request holding a row lock always finds a connection for the
next one and the key check still has one.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy.engine import make_url

POOL_MAX_ENV = "FTR_DB_POOL_MAX"
DEFAULT_POOL_MAX = 40
"""One process's pool when nothing else is said (the old 10 + 30 overflow)."""
RESERVED_CONNECTIONS = 12
"""Kept free of API pools: PostgreSQL's superuser reserve (3), the job worker and its listener,
migrations, an operator's ``psql``, the clock and rate-limit connections."""
POOL_HEADROOM = 2
"""Connections of a pool beyond the requests it admits (the key check, a streamed export)."""


def pool_max_per_process(max_connections: int, processes: int) -> int:
    """An equal share of ``max_connections`` less the reserve for each of ``processes`` API processes
    (at most :data:`DEFAULT_POOL_MAX`); ``ValueError`` if a share would be under 4 connections."""
    if processes < 1:
        raise ValueError("at least one API process")
    share = (max_connections - RESERVED_CONNECTIONS) // processes
    if share < 4:
        raise ValueError(
            f"max_connections {max_connections} leaves {share} connection(s) for each of {processes} "
            f"API processes (at least 4 are needed): raise max_connections or run fewer processes"
        )
    return min(share, DEFAULT_POOL_MAX)


def in_flight_limit(max_concurrent_requests: int, pool_max: int) -> int:
    """Requests one process admits at once: the setting, but fewer than its pool's connections."""
    return max(1, min(max_concurrent_requests, pool_max - POOL_HEADROOM))


def server_max_connections(database_url: str) -> int | None:
    """PostgreSQL's ``max_connections`` (``None`` for SQLite)."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
    finally:
        engine.dispose()


def share_pool_among(database_url: str, processes: int) -> int | None:
    """Set ``FTR_DB_POOL_MAX`` for ``processes`` API processes on PostgreSQL, unless it is set; the cap
    in force (``None``: SQLite, one process, or set by the operator)."""
    if processes < 2 or POOL_MAX_ENV in os.environ:
        return None
    max_connections = server_max_connections(database_url)
    if max_connections is None:
        return None
    pool_max = pool_max_per_process(max_connections, processes)
    os.environ[POOL_MAX_ENV] = str(pool_max)
    return pool_max
