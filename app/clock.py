"""The server clock: every rule that depends on time asks a :class:`Clock`, which tests replace."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; thread-safe, for tests and the demo."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        with self._lock:
            self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._at = self._at + delta


class OffsetClock:
    """The system clock shifted by a fixed offset: the demo market runs inside an open bid window."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
