"""Who is looking at a page, how a page is rendered, and how a page shows an error.

:data:`VisitorDep` reads the session cookie and authenticates its API key with the same service as
the API's bearer token. :data:`SignedIn` requires a signed-in visitor (otherwise the browser is sent
to the sign-in page); the role guards are those of :mod:`app.deps`, applied to the visitor.
:class:`PageRoute` turns a service error raised by a page into an HTML error page with the same
status and message as the API's problem body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from app.deps import (
    SessionDep,
    SettingsDep,
    require_audit_reader,
    require_bidder,
    require_operator,
    require_settlement_reader,
)
from app.errors import FieldError, Forbidden, ServiceError, Unauthenticated
from app.participants.roles import Role
from app.participants.service import Caller, ParticipantService
from app.web.session_cookie import PortalSession, csrf_matches, new_session, read_session, write_session
from market_calendar.eastern_time import EPT

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

PUBLIC_READER = Caller(participant_id=0, name="the public", role=Role.TRANSMISSION_OWNER)
"""How a visitor who has not signed in reads: as a participant holding nothing and never bidding,
so only what is public is found (non-draft auctions, posted results; no participant has id 0)."""


def _ept(value: datetime | None) -> str:
    return value.astimezone(EPT).strftime("%Y-%m-%d %H:%M %Z") if value is not None else ""


def _money(value: Decimal | float | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


TEMPLATES.env.filters["ept"] = _ept
TEMPLATES.env.filters["money"] = _money
TEMPLATES.env.filters["tojson_attr"] = lambda value: json.dumps(value, default=str)


class SignInRequired(Exception):
    """The page needs a signed-in visitor."""


@dataclass(frozen=True, slots=True)
class Visitor:
    caller: Caller | None
    session: PortalSession
    fresh: bool
    """the cookie must be (re)written"""

    @property
    def reader(self) -> Caller:
        """The caller to read with: the signed-in participant, or the public."""
        return self.caller if self.caller is not None else PUBLIC_READER


def current_visitor(request: Request, session: SessionDep, settings: SettingsDep) -> Visitor:
    cookie = read_session(request, settings)
    if cookie is None:
        return Visitor(None, new_session(None), fresh=True)
    if cookie.key_prefix is None:
        return Visitor(None, cookie, fresh=False)
    try:
        caller = ParticipantService(session, settings.secret_key).authenticate_signed_prefix(
            cookie.key_prefix
        )
    except Unauthenticated:
        return Visitor(None, new_session(None), fresh=True)
    return Visitor(caller, cookie, fresh=False)


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


def signed_in(visitor: VisitorDep) -> Caller:
    if visitor.caller is None:
        raise SignInRequired()
    return visitor.caller


def page_operator(caller: Annotated[Caller, Depends(signed_in)]) -> Caller:
    return require_operator(caller)


def page_bidder(caller: Annotated[Caller, Depends(signed_in)]) -> Caller:
    return require_bidder(caller)


def page_audit_reader(caller: Annotated[Caller, Depends(signed_in)]) -> Caller:
    return require_audit_reader(caller)


def page_settlement_reader(caller: Annotated[Caller, Depends(signed_in)]) -> Caller:
    return require_settlement_reader(caller)


SignedIn = Annotated[Caller, Depends(signed_in)]
PageSettlementReader = Annotated[Caller, Depends(page_settlement_reader)]
PageOperator = Annotated[Caller, Depends(page_operator)]
PageBidder = Annotated[Caller, Depends(page_bidder)]
PageAuditReader = Annotated[Caller, Depends(page_audit_reader)]


def render(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the visitor, its CSRF token and ``context``; write a fresh cookie."""
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"visitor": visitor, "caller": visitor.caller, "csrf": visitor.session.csrf, **context},
        status_code=status_code,
    )
    if visitor.fresh:
        write_session(response, visitor.session, request.app.state.settings)
    return response


def check_csrf(visitor: Visitor, token: str) -> None:
    """Refuse a form whose CSRF token is not the session's (403), before any service runs."""
    if not csrf_matches(visitor.session, token):
        raise Forbidden("the form is out of date or was not sent by this portal: reload the page and retry")


def field_errors(errors: tuple[FieldError, ...]) -> dict[str, str]:
    """Field name (last part of the dotted path) -> reason, for showing next to form fields."""
    return {e.field.rsplit(".", 1)[-1]: e.reason for e in errors}


class PageRoute(APIRoute):
    """A page: a service error becomes an HTML page (same status and message), a visitor who must
    sign in is sent to the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/portal/sign-in?next={quote(target)}", status_code=303)
            except ServiceError as exc:
                visitor = Visitor(None, new_session(None), fresh=False)
                context = {"status": exc.status, "title": exc.title, "detail": exc.detail}
                return TEMPLATES.TemplateResponse(
                    request,
                    "error.html",
                    {"visitor": visitor, "caller": None, "csrf": "", **context},
                    status_code=exc.status,
                )

        return route
