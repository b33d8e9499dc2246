"""Values attached to a database engine (the audit signing key, the settlement file store).

The service derives option engines from its engine (read-only requests, bounded SQLite write waits:
:mod:`app.db`); they are other objects but share the engine's connection pool, so a value is kept
per pool and found from any of them, or from a session bound to one.
"""

from __future__ import annotations

import weakref
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool
from sqlmodel import Session

T = TypeVar("T")


class EngineRegistry(Generic[T]):
    def __init__(self) -> None:
        self._values: weakref.WeakKeyDictionary[Pool, T] = weakref.WeakKeyDictionary()

    def register(self, engine: Engine, value: T) -> None:
        self._values[engine.pool] = value

    def of_engine(self, engine: Engine) -> T | None:
        return self._values.get(engine.pool)

    def of_session(self, session: Session) -> T | None:
        bind = session.get_bind()
        engine = bind.engine if isinstance(bind, Connection) else bind
        return self.of_engine(engine) if isinstance(engine, Engine) else None
