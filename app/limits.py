"""Request limits.

Size: bodies over ``FTR_MAX_REQUEST_BYTES`` are refused with 413 before parsing.

A declared ``Content-Length`` over the limit is refused at once; a body without one is counted
as it streams in and refused as soon as it passes the limit.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_BASE, PayloadTooLarge


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_BASE + PayloadTooLarge.slug,
                "title": PayloadTooLarge.title,
                "status": 413,
                "detail": f"the request body is larger than {self.max_bytes} bytes or its length is invalid",
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class InFlightLimit:
    """At most ``limit`` requests inside the application at once; the rest wait without a thread.

    Why: a request's transaction spans several worker-thread hops (dependencies, the route, the
    commit). If every worker thread were blocked waiting for a row lock (PostgreSQL) or the write
    lock (SQLite) held by a request that itself waits for a free thread, nothing would move.
    Keeping in-flight requests below both the worker-thread count (40) and the connection pool
    size guarantees the lock holder always gets a thread and a connection.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._semaphores: dict[int, asyncio.Semaphore] = {}

    def _semaphore(self) -> asyncio.Semaphore:
        loop_id = id(asyncio.get_running_loop())
        semaphore = self._semaphores.get(loop_id)
        if semaphore is None:
            semaphore = self._semaphores[loop_id] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self._semaphore():
            await self.app(scope, receive, send)


class ConcurrencyCap:
    """At most ``limit`` holders at once; a caller over the limit is refused at once, not queued.

    Used for bulk uploads (``FTR_MAX_CONCURRENT_BULK_UPLOADS``): each holds a spooled body, a
    batch of parsed rows and a long transaction, so their number bounds the memory and the
    connections they take. Acquired and released on the event loop (no lock needed).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def try_acquire(self) -> bool:
        if self.held >= self.limit:
            return False
        self.held += 1
        return True

    def release(self) -> None:
        self.held -= 1
