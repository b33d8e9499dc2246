"""Rate limits: token buckets per client address, per API key and for failed keys per address.

A bucket holds up to ``burst`` tokens and refills at ``per_s`` tokens a second; a request takes one.
A request that finds its bucket empty gets 429 with ``Retry-After`` (whole seconds until a token is
back) and does nothing else. Three budgets (defaults in :mod:`app.settings`, each configurable,
``0`` switches it off):

- every request from one client address (:class:`AddressRateLimit`, before anything else);
- every request with one API key (the participant, checked by :class:`app.gate.AuthGate` once the
  key is known);
- failed authentications from one client address (also in the gate): key guessing is slowed to
  the refill rate after a short burst, before any database lookup.

Where the buckets live is ``FTR_RATE_LIMIT_STORE``: ``memory`` (the default) keeps them in the
process's memory, so with several worker processes each has its own and the service-wide limit is
the per-process limit times the workers; ``postgres`` keeps them in the database
(:mod:`app.rate_limit_store`), shared by every process and host on it. The client address is the ASGI
``client``: behind a reverse proxy run uvicorn with ``--proxy-headers --forwarded-allow-ips`` so it
is the caller's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol

from anyio import to_thread
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.asgi_problem import send_problem
from app.rate_limit_store import PostgresBucket
from app.settings import RateLimitStore

MAX_TRACKED = 100_000
"""Buckets kept at most per budget (the least recently used go first): memory stays bounded."""


class TokenBucket:
    def __init__(self, per_s: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s = per_s
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    def _level(self, key: Hashable, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.per_s)

    def wait_s(self, key: Hashable) -> int:
        """Whole seconds until ``key`` has a token (0: it has one now). Takes nothing."""
        now = self.clock()
        missing = 1.0 - self._level(key, now)
        return 0 if missing <= 0 else max(1, math.ceil(missing / self.per_s))

    def take(self, key: Hashable) -> int:
        """Take a token for ``key``: 0 if there was one, else the whole seconds until there is."""
        now = self.clock()
        level = self._level(key, now)
        if level < 1.0:
            self._store(key, level, now)
            return max(1, math.ceil((1.0 - level) / self.per_s))
        self._store(key, level - 1.0, now)
        return 0

    def _store(self, key: Hashable, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)


class Bucket(Protocol):
    """A budget's buckets, one per key (:class:`TokenBucket` in memory, or a shared store)."""

    def take(self, key: Hashable) -> int: ...

    def wait_s(self, key: Hashable) -> int: ...


def bucket(
    per_s: float,
    burst: int,
    *,
    name: str = "",
    store: RateLimitStore = RateLimitStore.MEMORY,
    engine: Engine | None = None,
) -> Bucket | None:
    """A budget's bucket, or ``None`` when it is switched off (``per_s`` or ``burst`` is 0).

    ``store=postgres`` keeps the budget ``name`` in ``engine``'s database, shared by every process.
    """
    if per_s <= 0 or burst <= 0:
        return None
    if store is RateLimitStore.POSTGRES:
        if engine is None:
            raise ValueError("a shared rate-limit store needs the database engine")
        return PostgresBucket(engine, name, per_s, burst)
    return TokenBucket(per_s, burst)


async def take(limit: Bucket, key: Hashable) -> int:
    """:meth:`Bucket.take` without blocking the event loop (a shared store is a database round trip)."""
    if isinstance(limit, TokenBucket):
        return limit.take(key)
    return await to_thread.run_sync(limit.take, key)


async def wait_s(limit: Bucket, key: Hashable) -> int:
    """:meth:`Bucket.wait_s`, off the event loop for a shared store."""
    if isinstance(limit, TokenBucket):
        return limit.wait_s(key)
    return await to_thread.run_sync(limit.wait_s, key)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def send_too_many(scope: Scope, send: Send, retry_after_s: int, what: str) -> None:
    await send_problem(
        scope,
        send,
        status=429,
        slug="too-many-requests",
        title="Too many requests",
        detail=f"too many requests {what}; retry in {retry_after_s} s",
        headers=[(b"retry-after", str(retry_after_s).encode())],
    )


class AddressRateLimit:
    def __init__(self, app: ASGIApp, *, limit: Bucket | None) -> None:
        self.app = app
        self.bucket = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.bucket is not None:
            wait = await take(self.bucket, client_address(scope))
            if wait:
                await send_too_many(scope, send, wait, "from this address")
                return
        await self.app(scope, receive, send)
