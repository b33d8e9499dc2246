"""The portal's session cookie: the signed-in key's prefix and a CSRF token, signed with the service secret.

The cookie is ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` outside development. Its value is
``base64url(json).base64url(hmac-sha256)``; a cookie whose signature does not match, or older than
:data:`MAX_AGE_S`, is ignored (the visitor is anonymous again). The API key itself is never stored:
it is authenticated once at sign-in, then the cookie names its lookup prefix, and every request
finds the participant by that prefix among the active keys
(:meth:`~app.participants.service.ParticipantService.authenticate_signed_prefix`), so a revoked key
signs the visitor out at once. Anonymous visitors get a cookie too (no prefix), so the sign-in form
has a CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from app.settings import Environment, Settings

COOKIE_NAME = "ftr_portal"
MAX_AGE_S = 8 * 3600


@dataclass(frozen=True, slots=True)
class PortalSession:
    key_prefix: str | None
    csrf: str
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(settings: Settings, payload: str) -> str:
    key = hashlib.sha256(b"ftr-portal-session\x00" + settings.secret_key.encode()).digest()
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def new_session(key_prefix: str | None) -> PortalSession:
    return PortalSession(key_prefix=key_prefix, csrf=secrets.token_urlsafe(32), issued_at=int(time.time()))


def read_session(request: Request, settings: Settings) -> PortalSession | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or raw.count(".") != 1:
        return None
    payload, signature = raw.split(".")
    if not hmac.compare_digest(signature, _signature(settings, payload)):
        return None
    try:
        data = json.loads(_unb64(payload))
        found = PortalSession(str(data["k"]) if data["k"] else None, str(data["c"]), int(data["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    if not 0 <= time.time() - found.issued_at <= MAX_AGE_S:
        return None
    return found


def write_session(response: Response, session: PortalSession, settings: Settings) -> None:
    payload = _b64(json.dumps({"k": session.key_prefix, "c": session.csrf, "t": session.issued_at}).encode())
    response.set_cookie(
        COOKIE_NAME,
        f"{payload}.{_signature(settings, payload)}",
        max_age=MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.env != Environment.DEVELOPMENT,
    )


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.env != Environment.DEVELOPMENT,
    )


def csrf_matches(session: PortalSession | None, presented: str | None) -> bool:
    return session is not None and bool(presented) and hmac.compare_digest(session.csrf, str(presented))
