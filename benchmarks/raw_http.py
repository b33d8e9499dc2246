"""A lean HTTP/1.1 keep-alive client for the load generator (asyncio streams, no parsing library).

Why: the load generator shares the machine's cores with the service and PostgreSQL, so whatever it
spends per request is taken from the service. httpx's async client spends about 5-8 CPU-ms per
request at 100 concurrent connections on this machine (more than the service's target budget for
a whole bid); this client writes one pre-formatted request and reads the status line, the headers
and a ``Content-Length`` body, which is all the bid route's answers have. It is a benchmark tool,
not a general client: no chunked bodies, no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class RawResponse:
    """Status code and body of one answer."""

    __slots__ = ("body", "status_code")

    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def post_json(self, path: str, body: Any, headers: dict[str, str]) -> RawResponse:
        """POST ``body`` as JSON; raises ``ConnectionError`` if the connection fails (then closed)."""
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        try:
            reader, writer = await self._open()
            writer.write(request)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("the service closed the connection")
            status = int(status_line.split(b" ", 2)[1])
            length = 0
            close = False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                lowered = name.strip().lower()
                if lowered == b"content-length":
                    length = int(value)
                elif lowered == b"connection" and value.strip().lower() == b"close":
                    close = True
            data = await reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            await self.close()
            raise ConnectionError(str(exc) or type(exc).__name__) from exc
        if close:
            await self.close()
        return RawResponse(status, data)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class RawPool:
    """Up to ``size`` keep-alive connections to ``base_url``; a request waits for a free one."""

    def __init__(self, base_url: str, size: int) -> None:
        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self._all = [RawConnection(host, port) for _ in range(size)]
        self._free: asyncio.LifoQueue[RawConnection] = asyncio.LifoQueue()
        for conn in self._all:
            self._free.put_nowait(conn)

    async def post_json(self, path: str, body: Any, headers: dict[str, str]) -> RawResponse:
        conn = await self._free.get()
        try:
            return await conn.post_json(path, body, headers)
        finally:
            self._free.put_nowait(conn)

    async def aclose(self) -> None:
        for conn in self._all:
            await conn.close()
