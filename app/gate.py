"""Authentication at the door: a request to an authenticated route is refused before its body is read.

:class:`AuthGate` is a plain ASGI middleware outside the in-flight limit
(:class:`app.limits.InFlightLimit`). A request for an API route (``/api/v1/...``, but the health
probe) without a valid ``Authorization: Bearer <key>`` gets 401 at once: its body is never read
and it never holds an in-flight slot or a database transaction, so unauthenticated clients that
send a few bytes and stall cannot occupy the service. The key is checked in a short read-only
transaction of its own (:func:`authenticate_key`); the caller found is kept in the ASGI scope for
the ``authenticate`` dependency (:mod:`app.deps`), which does not look it up again. A path or
method no route serves passes through to the router's 404 or 405 (which read no body either).
"""

from __future__ import annotations

import json
from typing import Any

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import read_engine
from app.errors import PROBLEM_BASE, Unauthenticated
from app.participants.service import Caller, ParticipantService

CALLER_SCOPE_KEY = "ftr.caller"
API_PREFIX = "/api/v1/"
PUBLIC_PATHS = frozenset({"/api/v1/health"})
"""Routes under the API prefix that anyone may call."""


def authenticate_key(engine: Engine, pepper: str, key: str | None) -> Caller:
    """The caller holding ``key``, read in a transaction of its own that never takes a write lock."""
    with Session(read_engine(engine)) as session:
        return ParticipantService(session, pepper).authenticate(key)


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


async def send_problem(
    scope: Scope,
    send: Send,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An RFC 9457 problem sent straight from a middleware (the connection closes after it)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope.get("path", ""),
    }
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


class AuthGate:
    def __init__(self, app: ASGIApp, *, engine: Engine, pepper: str, routes: list[BaseRoute]) -> None:
        self.app = app
        self.engine = engine
        self.pepper = pepper
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not needs_key(scope, self.routes):
            await self.app(scope, receive, send)
            return
        try:
            caller = await to_thread.run_sync(authenticate_key, self.engine, self.pepper, bearer_key(scope))
        except Unauthenticated as exc:
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
        scope[CALLER_SCOPE_KEY] = caller
        await self.app(scope, receive, send)
