"""The pricing point ids of network versions, kept per process (a bid checks its two points in memory).

A network version is immutable and identified by its content hash (:mod:`app.networks.tables`),
so the point ids read once for a hash are the point ids of every version with that hash, in any
database; the cache never needs invalidating. It holds the ``capacity`` versions used last.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from sqlmodel import Session

from app.networks.repository import NetworkRepository


class PointSets:
    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._sets: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()

    def points(self, session: Session, version_id: int, content_hash: str) -> frozenset[str]:
        """Every pricing point id of the version (read from the database the first time)."""
        with self._lock:
            found = self._sets.get(content_hash)
            if found is not None:
                self._sets.move_to_end(content_hash)
                return found
        loaded = frozenset(NetworkRepository(session).point_ids(version_id))
        with self._lock:
            self._sets[content_hash] = loaded
            self._sets.move_to_end(content_hash)
            while len(self._sets) > self.capacity:
                self._sets.popitem(last=False)
        return loaded

    def known(self, session: Session, version_id: int, content_hash: str, wanted: Iterable[str]) -> set[str]:
        """The ids of ``wanted`` that are pricing points of the version."""
        points = self.points(session, version_id, content_hash)
        return {p for p in wanted if p in points}


POINT_SETS = PointSets()
"""The process's cache (keyed by content hash, so one cache serves every database of the process)."""
