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


CompositeKey = tuple[int | str, ...]
"""The key of a list ordered by several columns (e.g. a pricing point's sort key and id)."""


def encode_cursor(list_name: str, key: int | CompositeKey) -> str:
    raw = json.dumps(
        [list_name, list(key) if isinstance(key, tuple) else key], separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _not_a_cursor(list_name: str) -> ValidationFailed:
    return ValidationFailed(
        "the cursor is not one this list gave out",
        errors=[
            FieldError("query.cursor", f"not a cursor of the {list_name} list; pass next_cursor as given")
        ],
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decoded(list_name: str, cursor: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, key = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise _not_a_cursor(list_name) from exc
    if name != list_name:
        raise _not_a_cursor(list_name)
    return key


def decode_cursor(list_name: str, cursor: str) -> int:
    """The last key of the page before (422 naming ``query.cursor`` if it is not a cursor of this list)."""
    key = _decoded(list_name, cursor)
    if not _is_int(key):
        raise _not_a_cursor(list_name)
    assert isinstance(key, int)
    return key


def decode_composite_cursor(list_name: str, cursor: str, arity: int) -> CompositeKey:
    """The last composite key (``arity`` integers or strings) of the page before (422 if not one)."""
    key = _decoded(list_name, cursor)
    if (
        not isinstance(key, list)
        or len(key) != arity
        or not all(_is_int(k) or isinstance(k, str) for k in key)
    ):
        raise _not_a_cursor(list_name)
    return tuple(key)


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
    check_one_way(page)
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


def check_one_way(page: Pagination) -> None:
    """A cursor and an offset together are refused (422 naming ``query.offset``)."""
    if page.cursor is not None and page.offset:
        raise ValidationFailed(
            "give a cursor or an offset, not both",
            errors=[FieldError("query.offset", "must be 0 (or absent) with a cursor")],
        )


def page_by_composite_key(
    session: Session,
    stmt: Any,
    keys: Sequence[Any],
    page: Pagination,
    list_name: str,
    *,
    total: int | None = None,
) -> KeyedPage:
    """As :func:`page_by_key`, in the order of several columns that together are unique in the list
    (compared as a row value, which SQLite and PostgreSQL both index). ``total``, when the caller
    knows it (a stored count), saves the count query."""
    check_one_way(page)
    if total is None:
        total = int(session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one())
    labelled = [k.label(f"page_key_{i}") for i, k in enumerate(keys)]
    ordered = stmt.add_columns(*labelled).order_by(*keys)
    if page.cursor is not None:
        after = decode_composite_cursor(list_name, page.cursor, len(keys))
        ordered = ordered.where(sa.tuple_(*keys) > sa.tuple_(*[sa.literal(v) for v in after]))
    elif page.offset:
        ordered = ordered.offset(page.offset)
    found = list(session.execute(ordered.limit(page.limit + 1)).all())
    more = len(found) > page.limit
    found = found[: page.limit]
    n = len(keys)
    next_cursor = encode_cursor(list_name, tuple(found[-1][-n:])) if more and found else None
    return KeyedPage([tuple(row[:-n]) for row in found], total, next_cursor)
