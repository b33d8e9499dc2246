"""Parse a bulk upload of bids and offers (CSV or JSON) into validated orders, or report every bad row.

CSV: a header line naming the columns ``side, period_class, source, sink, hedge, mw, price``
(``side`` defaults to ``buy`` and ``hedge`` to ``obligation`` when the column is absent or empty).
JSON: ``{"bids": [ {...}, ... ]}`` or a bare list. Rows are numbered from 1 (the first data row);
each problem is reported as ``{row, field, reason}``. The pricing points of a row with format
errors are kept (:attr:`ParsedUpload.points`) so the service checks them against the network too
and one answer lists every problem of every row. ``mw`` and ``price`` cells are taken as they are
(no trimming): a number with spaces is refused like any other malformed number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from api_schemas.bids import BidCreate
from app.bids.mapping import order_spec
from app.bids.orders import OrderSpec
from app.errors import FieldError, PayloadTooLarge, UploadFormatError, ValidationFailed

CSV_COLUMNS = ("side", "period_class", "source", "sink", "hedge", "mw", "price")
REQUIRED_CSV_COLUMNS = ("period_class", "source", "sink", "mw", "price")
UNTRIMMED_COLUMNS = ("mw", "price")


@dataclass(frozen=True, slots=True)
class ParsedUpload:
    """The valid orders, the format problems of the other rows, and those rows' pricing points."""

    orders: list[tuple[int, OrderSpec]]
    errors: list[FieldError] = field(default_factory=list)
    points: list[tuple[int, str, str]] = field(default_factory=list)
    """``(row, "source" | "sink", point)`` of rows with format errors."""


def _rows_from_csv(content: bytes) -> list[dict[str, Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadFormatError("the CSV upload is not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        errors = [FieldError(c, "required column missing", 0) for c in missing]
        errors += [FieldError(c, "unknown column", 0) for c in unknown]
        raise ValidationFailed("the CSV header is wrong", errors=errors)
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    try:
        for record in reader:
            if None in record:
                rows.append({"__extra__": True})
                continue
            rows.append(
                {
                    k: v if k in UNTRIMMED_COLUMNS else v.strip()
                    for k, v in record.items()
                    if v is not None and v.strip() != ""
                }
            )
    except csv.Error as exc:
        raise UploadFormatError(f"the CSV cannot be read: {exc}") from exc
    return rows


def _rows_from_json(content: bytes) -> list[Any]:
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UploadFormatError(f"the JSON upload cannot be read: {exc}") from exc
    if isinstance(data, dict) and set(data) == {"bids"}:
        data = data["bids"]
    if not isinstance(data, list):
        raise ValidationFailed(
            'the JSON upload must be a list of bids or {"bids": [...]}',
            errors=[FieldError("body", "expected a list of bids")],
        )
    return data


def read_upload(content: bytes, media_type: str, max_rows: int) -> ParsedUpload:
    """Validate every row's format; the rows' problems are returned, not raised (the service adds
    the unknown pricing points and raises one :func:`bad_rows` for all)."""
    if media_type in ("text/csv", "application/csv"):
        raw: Sequence[Any] = _rows_from_csv(content)
    elif media_type == "application/json":
        raw = _rows_from_json(content)
    else:
        raise UploadFormatError(f"unsupported content type {media_type!r}: send text/csv or application/json")
    if not raw:
        raise ValidationFailed("the upload has no rows", errors=[FieldError("body", "no rows")])
    if len(raw) > max_rows:
        raise PayloadTooLarge(f"the upload has {len(raw)} rows; at most {max_rows} are accepted at once")
    parsed = ParsedUpload(orders=[])
    for row, item in enumerate(raw, start=1):
        if isinstance(item, dict) and item.get("__extra__"):
            parsed.errors.append(FieldError("row", "more values than columns", row))
            continue
        try:
            parsed.orders.append((row, order_spec(BidCreate.model_validate(item))))
        except ValidationError as exc:
            for e in exc.errors():
                name = ".".join(str(p) for p in e.get("loc", ())) or "row"
                parsed.errors.append(FieldError(name, str(e.get("msg", "")), row))
            if isinstance(item, dict):
                for name in ("source", "sink"):
                    point = item.get(name)
                    if isinstance(point, str) and point:
                        parsed.points.append((row, name, point))
    return parsed


def bad_rows(errors: Sequence[FieldError]) -> ValidationFailed:
    ordered = sorted(errors, key=lambda e: e.row or 0)
    return ValidationFailed(f"{len({e.row for e in errors})} bad row(s); nothing was stored", errors=ordered)
