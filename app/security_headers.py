"""Security headers on every response (a plain ASGI middleware, so 401s and 429s get them too).

- ``Content-Security-Policy``: scripts, styles, images and connections from this origin only
  (styles may be inline: the documentation pages set them at run time), no plugins, and
  ``frame-ancestors 'none'`` (with ``X-Frame-Options: DENY`` for older browsers): no page of the
  service can be framed.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.
- ``Strict-Transport-Security`` outside development (a development server speaks plain HTTP on
  localhost, where pinning HTTPS would lock the browser out of it).
- ``Cache-Control: no-store`` on every response to a request that carries credentials
  (``Authorization`` or a cookie) and on every ``/api/v1`` response: what one caller may read is
  never kept by a browser or a shared cache.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE_PREFIX = "/api/v1/"


def _carries_credentials(scope: Scope) -> bool:
    return any(name in (b"authorization", b"cookie") for name, _ in scope.get("headers", []))


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _carries_credentials(scope) or scope["path"].startswith(PRIVATE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
                headers["x-content-type-options"] = "nosniff"
                headers["x-frame-options"] = "DENY"
                headers["referrer-policy"] = "no-referrer"
                if self.hsts:
                    headers["strict-transport-security"] = HSTS
                if private:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
