"""Authentication at the door: a request to an authenticated route is refused before its body is read.

:class:`AuthGate` is a plain ASGI middleware outside the in-flight limit
(:class:`app.limits.InFlightLimit`). A request for an API route (``/api/v1/...``, but the health
probe) without a valid ``Authorization: Bearer <key>`` gets 401 at once: its body is never read
and it never holds an in-flight slot or a database transaction, so unauthenticated clients that
send a few bytes and stall cannot occupy the service. The key is checked in a short read-only
transaction of its own (:func:`authenticate_key`); the caller found is kept in the ASGI scope for
the ``authenticate`` dependency (:mod:`app.deps`), which does not look it up again. A path or
method no route serves passes through to the router's 404 or 405 (which read no body either).
The gate also applies the per-key and the failed-key rate limits (:mod:`app.rate_limit`).

A key verified by the database is kept for ``FTR_KEY_CACHE_TTL_S`` (default 5 s) by the process
(:class:`VerifiedKeys`), so a client sending many requests costs one lookup every few seconds, not
one per request. A revoked key (revocation is a database change) is refused at once by the
process that revoked it (the route calls :meth:`VerifiedKeys.forget`) and by every other process at
most ``FTR_KEY_CACHE_TTL_S`` after (their copies expire; no message crosses processes). A key that
fails is never kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.asgi_problem import send_problem
from app.db import read_engine
from app.errors import Unauthenticated
from app.participants.service import Caller, ParticipantService
from app.rate_limit import Bucket, client_address, send_too_many, take, wait_s
from app.security import hash_api_key, key_prefix

CALLER_SCOPE_KEY = "ftr.caller"
API_PREFIX = "/api/v1/"
PUBLIC_PATHS = frozenset({"/api/v1/health"})
"""Routes under the API prefix that anyone may call."""


def authenticate_key(engine: Engine, pepper: str, key: str | None) -> Caller:
    """The caller holding ``key``, read in a transaction of its own that never takes a write lock."""
    with Session(read_engine(engine)) as session:
        return ParticipantService(session, pepper).authenticate(key)


class VerifiedKeys:
    """Keys the database verified in the last ``ttl_s`` seconds, by their keyed hash (never in clear).

    Holds at most ``capacity`` keys, dropping the oldest. Read and filled by the gate on the event
    loop; :meth:`forget` is called from a route's worker thread, so changes take a lock.
    """

    def __init__(self, pepper: str, ttl_s: float, capacity: int = 10_000) -> None:
        self.pepper = pepper
        self.ttl_s = ttl_s
        self.capacity = capacity
        self._callers: OrderedDict[str, tuple[float, Caller, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None) -> Caller | None:
        if not key or self.ttl_s <= 0:
            return None
        found = self._callers.get(hash_api_key(key, self.pepper))
        if found is None:
            return None
        expires, caller, _ = found
        return caller if time.monotonic() < expires else None

    def put(self, key: str | None, caller: Caller) -> None:
        if not key or self.ttl_s <= 0:
            return
        digest = hash_api_key(key, self.pepper)
        with self._lock:
            self._callers[digest] = (time.monotonic() + self.ttl_s, caller, key_prefix(key))
            self._callers.move_to_end(digest)
            while len(self._callers) > self.capacity:
                self._callers.popitem(last=False)

    def forget(self, prefix: str) -> None:
        """Drop the key with this prefix (just revoked): its next request is checked by the database.

        A scan of at most ``capacity`` entries, once per revocation.
        """
        with self._lock:
            for digest in [d for d, (_, _, p) in self._callers.items() if p == prefix]:
                del self._callers[digest]


def caller_of(scope: Scope) -> Caller | None:
    found = scope.get(CALLER_SCOPE_KEY)
    return found if isinstance(found, Caller) else None


def needs_key(scope: Scope, routes: list[BaseRoute]) -> bool:
    """Whether the request is for an API route that takes a key (matched path and method)."""
    path: str = scope["path"]
    if not path.startswith(API_PREFIX) or path.rstrip("/") in PUBLIC_PATHS:
        return False
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def bearer_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return key.strip() or None
    return None


class KeyedRoutes:
    """:func:`needs_key` remembered per method and path (matching every route costs about a
    millisecond of CPU a request); at most ``capacity`` answers, forgotten all at once when full."""

    def __init__(self, routes: list[BaseRoute], capacity: int = 10_000) -> None:
        self.routes = routes
        self.capacity = capacity
        self._known: dict[tuple[str, str], bool] = {}

    def needs_key(self, scope: Scope) -> bool:
        at = (str(scope.get("method", "")), str(scope["path"]))
        found = self._known.get(at)
        if found is None:
            found = needs_key(scope, self.routes)
            if len(self._known) >= self.capacity:
                self._known.clear()
            self._known[at] = found
        return found


class AuthGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Engine,
        pepper: str,
        routes: list[BaseRoute],
        per_key: Bucket | None = None,
        failures_per_address: Bucket | None = None,
        key_cache_ttl_s: float = 0.0,
        verified: VerifiedKeys | None = None,
    ) -> None:
        self.app = app
        self.verified = verified if verified is not None else VerifiedKeys(pepper, key_cache_ttl_s)
        self.engine = engine
        self.pepper = pepper
        self.routes = KeyedRoutes(routes)
        self.per_key = per_key
        self.failures = failures_per_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.routes.needs_key(scope):
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        if self.failures is not None and (wait := await wait_s(self.failures, address)):
            await send_too_many(scope, send, wait, "with invalid API keys from this address")
            return
        key = bearer_key(scope)
        try:
            caller = self.verified.get(key)
            if caller is None:
                caller = await to_thread.run_sync(authenticate_key, self.engine, self.pepper, key)
                self.verified.put(key, caller)
        except Unauthenticated as exc:
            if self.failures is not None:
                await take(self.failures, address)
            await send_problem(
                scope,
                send,
                status=Unauthenticated.status,
                slug=Unauthenticated.slug,
                title=Unauthenticated.title,
                detail=exc.detail,
                headers=[(b"www-authenticate", b"Bearer")],
            )
            return
        if self.per_key is not None and (wait := await take(self.per_key, caller.participant_id)):
            await send_too_many(scope, send, wait, "with this API key")
            return
        scope[CALLER_SCOPE_KEY] = caller
        await self.app(scope, receive, send)
