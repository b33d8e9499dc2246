"""The one error format: RFC 9457 problem details (``application/problem+json``).

Every error leaves the service through :func:`problem_response`: the typed
:class:`~app.errors.ServiceError` hierarchy, request validation errors (field-level messages,
``field`` as a dotted path such as ``body.mw``), routing errors (404/405), database conflicts (a
unique or foreign-key violation a service did not foresee: 409; SQLite's write lock not obtained in
time: 503 with ``Retry-After``) and, last, anything unexpected (a 500 that reveals nothing of the
internals).

A database error is logged by its class and the request path only: its message can quote the
values of a row (a key, a price), and logs never carry those.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.errors import PROBLEM_BASE, FieldError, ServiceError

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("app.problems")

_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed for this role"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "The request is too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-failed", "The request has invalid fields"),
}

DATABASE_BUSY_RETRY_AFTER_S = 2
"""``Retry-After`` of a 503 when SQLite's write lock was not obtained in time."""


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] = (),
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    if extensions:
        body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "body"


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    if exc.status >= 500:
        logger.error("service error on %s: %s", request.url.path, exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        extensions=exc.extensions,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field=_location(e.get("loc", ())), reason=str(e.get("msg", ""))) for e in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        slug="validation-failed",
        title="The request has invalid fields",
        detail=f"{len(errors)} invalid field(s)",
        errors=errors,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (the router names only one route's)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        request,
        status=exc.status_code,
        slug=slug,
        title=title,
        detail=str(exc.detail),
        headers=headers or None,
    )


def _database_error_name(exc: DBAPIError) -> str:
    return f"{type(exc).__name__} ({type(exc.orig).__name__})"


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    logger.warning(
        "database conflict on %s %s: %s", request.method, request.url.path, _database_error_name(exc)
    )
    return problem_response(
        request,
        status=409,
        slug="conflict",
        title="Conflict",
        detail="the request conflicts with data already stored; nothing was changed",
    )


def _is_sqlite_busy(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


async def _operational_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OperationalError)
    if _is_sqlite_busy(exc):
        logger.warning("database busy on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            status=503,
            slug="database-busy",
            title="The database is busy",
            detail="another write holds the database; nothing was changed, "
            f"retry in {DATABASE_BUSY_RETRY_AFTER_S} s",
            headers={"Retry-After": str(DATABASE_BUSY_RETRY_AFTER_S)},
        )
    return await _unexpected_error(request, exc)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DBAPIError):
        logger.error(
            "database error on %s %s: %s", request.method, request.url.path, _database_error_name(exc)
        )
    else:
        logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="An unexpected error occurred",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(Exception, _unexpected_error)
