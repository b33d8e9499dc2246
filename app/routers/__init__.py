"""HTTP routes, one module per noun; each route is one service call deep."""

from __future__ import annotations

from typing import Any

from api_schemas.common import Problem

_PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description, "content": _PROBLEM_CONTENT}
    for status, description in (
        (400, "The body cannot be read (not JSON, or not the form or file the route takes)"),
        (401, "No or an invalid API key"),
        (403, "The caller's role may not do this"),
        (404, "Not found, or not the caller's to see"),
        (409, "Conflicts with the current state (auction lifecycle, bid window, existing object)"),
        (413, "The request is too large"),
        (422, "Invalid fields; `errors` lists each (field, reason[, row])"),
        (408, "The request body did not arrive before its deadline"),
        (429, "Too many requests (per address, per key, or invalid keys); see `Retry-After`"),
        (503, "The database is busy (SQLite write lock); nothing was changed, see `Retry-After`"),
    )
}
"""Problem details every route may answer with (RFC 9457), documented in the OpenAPI document."""
