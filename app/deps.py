"""Annotated dependency aliases: the session, the clock, the settings and the authenticated caller.

``CurrentParticipant`` authenticates any role; ``Operator`` (the OI), ``Bidder`` (trader, LSE),
``Writer`` (anyone but the read-only auditor), ``AuditReader`` and ``SettlementReader`` (the OI and
auditors) refuse other roles with 403. Every role guard lives here, not in a router. Ownership of an object
is never checked here: repositories only find what the caller may read (404 otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.clock import Clock, MovableClock
from app.db import get_session
from app.errors import BulkUploadsBusy, Forbidden
from app.gate import authenticate_key, caller_of
from app.limits import ConcurrencyCap
from app.market_clock.service import MarketClockService
from app.paging import Pagination
from app.participants.roles import BIDDING_ROLES, READ_ALL_ROLES, Role
from app.participants.service import Caller
from app.settings import Settings

SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request, session: SessionDep) -> Clock:
    """The market clock; a movable one (non-production) first takes the stored offset, in the request's
    transaction, so a move made by ``ftr clock`` or another process is seen at once.

    The cheap dependencies are ``async`` so that they run on the event loop instead of a worker
    thread; the one database read here (a movable clock only) goes to a thread.
    """
    clock: Clock = request.app.state.clock
    if isinstance(clock, MovableClock):
        await run_in_threadpool(MarketClockService(session).sync, clock)
    return clock


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]

_bearer = HTTPBearer(
    auto_error=False, description="API key issued by the OI: `Authorization: Bearer ftr_...`"
)


async def authenticate(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller :class:`app.gate.AuthGate` found before the body was read, else a lookup of its own.

    Authentication only reads, in a short transaction of its own: the request's transaction
    begins later, when the service runs, so none is open while a body streams in.
    """
    found = caller_of(request.scope)
    if found is not None:
        return found
    key = credentials.credentials if credentials is not None else None
    caller: Caller = await run_in_threadpool(
        authenticate_key, request.app.state.engine, settings.secret_key, key
    )
    return caller


CurrentParticipant = Annotated[Caller, Depends(authenticate)]


def require_operator(caller: Caller) -> Caller:
    if caller.role != Role.OPERATOR:
        raise Forbidden("only the Office of the Interconnection (role operator) may do this")
    return caller


def require_bidder(caller: Caller) -> Caller:
    if caller.role not in BIDDING_ROLES:
        raise Forbidden(f"role {caller.role.value} may not submit, change or withdraw bids and offers")
    return caller


def _require_read_all(message: str) -> Callable[[Caller], Caller]:
    def guard(caller: Caller) -> Caller:
        if caller.role not in READ_ALL_ROLES:
            raise Forbidden(message)
        return caller

    return guard


def _dependency(check: Callable[[Caller], Caller]) -> Callable[[Caller], Awaitable[Caller]]:
    """``check`` as a dependency on the authenticated caller (``async``: it runs on the event loop)."""

    async def dependency(caller: CurrentParticipant) -> Caller:
        return check(caller)

    return dependency


Operator = Annotated[Caller, Depends(_dependency(require_operator))]
Bidder = Annotated[Caller, Depends(_dependency(require_bidder))]
require_audit_reader = _require_read_all("only the OI and auditors read the audit trail")
"""The audit-trail guard as a function (the portal applies it to a signed-in visitor)."""
AuditReader = Annotated[Caller, Depends(_dependency(require_audit_reader))]
"""The OI or an auditor (the audit trail)."""
SettlementReader = Annotated[
    Caller,
    Depends(
        _dependency(
            _require_read_all("only the OI and auditors read settlement runs; holders read their statements")
        )
    ),
]
"""The OI or an auditor (settlement inputs, runs and jobs)."""
JobReader = Annotated[
    Caller,
    Depends(_dependency(_require_read_all("only the OI and auditors read the job list"))),
]
"""The OI or an auditor (the list of jobs of every kind)."""
require_settlement_reader = _require_read_all(
    "only the OI and auditors read settlement runs; holders read their statements"
)
"""The settlement guard as a function (the portal applies it to a signed-in visitor)."""


async def pagination(
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> Pagination:
    return Pagination(limit=limit, offset=offset)


async def cursor_pagination(
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip (or page by cursor)")] = 0,
    cursor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="the next_cursor of the page before (opaque)"),
    ] = None,
) -> Pagination:
    return Pagination(limit=limit, offset=offset, cursor=cursor)


PageDep = Annotated[Pagination, Depends(pagination)]
"""``?limit=&offset=`` (lists that page by offset only)."""
CursorPageDep = Annotated[Pagination, Depends(cursor_pagination)]
"""``?limit=&cursor=`` or ``?limit=&offset=`` (lists that page by key, :mod:`app.paging`)."""


ObjectId = Annotated[int, Path(ge=1, le=2**31 - 1, description="object id")]
"""A path id: bounded so it fits every database's integer column."""


async def bulk_upload_slot(request: Request, caller: CurrentParticipant) -> AsyncIterator[None]:
    """One of the ``FTR_MAX_CONCURRENT_BULK_UPLOADS`` slots for the length of the request (503 if none)."""
    cap: ConcurrencyCap | None = getattr(request.app.state, "bulk_upload_cap", None)
    if cap is None:
        cap = request.app.state.bulk_upload_cap = ConcurrencyCap(
            (await get_settings(request)).max_concurrent_bulk_uploads
        )
    if not cap.try_acquire():
        raise BulkUploadsBusy(
            f"{cap.limit} bulk uploads are already in progress; retry in a few seconds",
            extensions={"max_concurrent_bulk_uploads": cap.limit},
        )
    try:
        yield
    finally:
        cap.release()


BulkUploadSlot = Annotated[None, Depends(bulk_upload_slot, scope="function")]
"""A bulk-upload slot, taken after authentication and before the body is read."""
