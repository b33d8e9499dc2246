"""Request limits.

Size and time: a body is read under a size cap (``FTR_MAX_REQUEST_BYTES``) and a deadline
(``FTR_BODY_TIMEOUT_S``, counted from the first read of the body), both enforced while it
streams. A declared ``Content-Length`` over the cap is refused at once (413); a body that passes
the cap as it arrives is refused as soon as it does (413); a body not complete by the deadline
gets 408. Either way the application sees the client as gone, whatever it answered is dropped,
the problem is sent instead and the connection closes: a slow client holds only its own
connection, for at most the deadline.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.asgi_problem import send_problem
from app.errors import PayloadTooLarge


class BodyLimits:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, send, "or its declared length is invalid")
            return
        seen = 0
        deadline: float | None = None
        refused: str | None = None
        started = False

        body_done = False

        async def limited_receive() -> Message:
            nonlocal seen, deadline, refused, body_done
            if refused is not None:
                return {"type": "http.disconnect"}
            if body_done:  # listening for a disconnect while answering: no deadline
                return await receive()
            if deadline is None:
                deadline = time.monotonic() + self.timeout_s
            try:
                message = await asyncio.wait_for(receive(), timeout=max(deadline - time.monotonic(), 0.0))
            except TimeoutError:
                refused = "timeout"
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = "size"
                    return {"type": "http.disconnect"}
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # The route saw the client as gone (ClientDisconnect) and gave up: answer for it.
            if refused is None or started:
                raise
        if refused is None or started:
            return
        if refused == "size":
            await self._too_large(scope, send, "")
        else:
            await send_problem(
                scope,
                send,
                status=408,
                slug="request-timeout",
                title="The request body was not received in time",
                detail=f"the request body did not arrive within {self.timeout_s:g} s",
            )

    async def _too_large(self, scope: Scope, send: Send, more: str) -> None:
        await send_problem(
            scope,
            send,
            status=413,
            slug=PayloadTooLarge.slug,
            title=PayloadTooLarge.title,
            detail=f"the request body is larger than {self.max_bytes} bytes {more}".strip(),
        )


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
