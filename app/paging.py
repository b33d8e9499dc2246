"""Paging of list endpoints: by opaque cursor (``?limit=&cursor=``), or by ``offset`` as before.

A cursor pages by key (keyset paging): a page is the first ``limit`` items whose key (the id, or the
audit seq) is above the last key of the page before, in key order. Unlike an offset, it neither
skips nor repeats an item when items are added while a client pages, and a deep page costs what
the first one does. Each page answers ``next_cursor`` (``null`` on the last page); a client passes
it back as ``cursor`` and never reads it: it is the list's name and the last key, base64url-encoded
JSON, and a cursor of another list or one that does not decode is refused (422). ``offset`` still
works on its own; ``offset`` and ``cursor`` together are refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed


@dataclass(frozen=True, slots=True)
class Pagination:
    limit: int
    offset: int = 0
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class KeyedPage:
    """One page of rows (tuples of what the statement selects), the count of every row of the list and
    the cursor of the next page."""

    rows: Sequence[tuple[Any, ...]]
    total: int
    next_cursor: str | None


def encode_cursor(list_name: str, key: int) -> str:
    raw = json.dumps([list_name, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(list_name: str, cursor: str) -> int:
    """The last key of the page before (422 naming ``query.cursor`` if it is not a cursor of this list)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, key = json.loads(raw)
        if name != list_name or not isinstance(key, int) or isinstance(key, bool):
            raise ValueError(name)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "the cursor is not one this list gave out",
            errors=[
                FieldError("query.cursor", f"not a cursor of the {list_name} list; pass next_cursor as given")
            ],
        ) from exc
    return key


def page_by_key(
    session: Session,
    stmt: Any,
    key: Any,
    page: Pagination,
    list_name: str,
) -> KeyedPage:
    """``stmt`` (a select, filtered, not ordered) paged in the order of ``key`` (an integer column
    that is unique in the list) by ``page``'s cursor or offset.

    ``total`` counts every row of ``stmt``; ``next_cursor`` is set when a row follows the page
    (cursor or offset paging alike, so a client may start with an offset and go on by cursor).
    """
    if page.cursor is not None and page.offset:
        raise ValidationFailed(
            "give a cursor or an offset, not both",
            errors=[FieldError("query.offset", "must be 0 (or absent) with a cursor")],
        )
    total = session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    ordered = stmt.add_columns(key.label("page_key")).order_by(key)
    if page.cursor is not None:
        ordered = ordered.where(key > decode_cursor(list_name, page.cursor))
    elif page.offset:
        ordered = ordered.offset(page.offset)
    found = list(session.execute(ordered.limit(page.limit + 1)).all())
    more = len(found) > page.limit
    found = found[: page.limit]
    next_cursor = encode_cursor(list_name, int(found[-1][-1])) if more and found else None
    return KeyedPage([tuple(row[:-1]) for row in found], int(total), next_cursor)
