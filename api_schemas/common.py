"""Shared wire shapes: pages of results, problem details, and the numeric conventions.

Numbers with units travel as decimal strings in responses (``"10.5"`` MW, ``"12.34"`` $/MW) so
no binary float ever touches money; requests accept a JSON number or a string. A string is a
plain decimal (:data:`DECIMAL_STRING`): ASCII digits, an optional sign, at most one decimal
point; no exponent, no spaces, no other script's digits (``"١٢"``, ``"1E+2"`` and ``" 5 "`` are
refused, not read as 12, 100 and 5).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

T = TypeVar("T")

DECIMAL_STRING = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
"""A plain decimal: ASCII digits, optional sign, at most one decimal point, nothing else."""


def plain_decimal(value: Any) -> Any:
    """Refuse a string that is not a plain decimal (numbers and ``Decimal`` pass unchanged)."""
    if isinstance(value, str) and DECIMAL_STRING.fullmatch(value) is None:
        raise ValueError(
            "must be a plain decimal: ASCII digits, an optional sign and at most one decimal point "
            "(no exponent, no spaces)"
        )
    return value


PlainDecimal = Annotated[Decimal, BeforeValidator(plain_decimal)]
"""A ``Decimal`` whose string form is a plain decimal (use for every number a request carries)."""

ISO_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*")


def iso_date_time(value: Any) -> Any:
    """Refuse what is not an ISO 8601 date and time (pydantic would read ``0`` as 1970-01-01)."""
    if not isinstance(value, datetime) and not (isinstance(value, str) and ISO_DATE_TIME.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date and time with its offset, e.g. 2027-01-16T06:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(iso_date_time)]
"""A request's instant: ISO 8601 text only, never a number of seconds."""
"""A ``Decimal`` whose string form is a plain decimal (use for every number a request carries)."""

DECIMAL_STRING_PATTERN = f"^{DECIMAL_STRING.pattern}$"


def decimal_json_schema(
    *,
    exclusive_minimum: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    multiple_of: float | None = None,
) -> WithJsonSchema:
    """The OpenAPI schema of a request's number: a JSON number with its bounds, or a plain decimal string.

    Pydantic cannot carry a ``Decimal``'s bounds into the union it documents (it wrote them as
    ``gt``/``le``/``multiple_of``, which no JSON Schema reader knows): clients and generated tests
    then sent any string. This states the bounds on the number and the format on the string
    (:data:`DECIMAL_STRING`); the string's range and steps are in the field's description. The
    schema is never narrower than the validation, so what it calls invalid is refused.
    """
    number: dict[str, Any] = {"type": "number"}
    for key, value in (
        ("exclusiveMinimum", exclusive_minimum),
        ("minimum", minimum),
        ("maximum", maximum),
        ("multipleOf", multiple_of),
    ):
        if value is not None:
            number[key] = value
    return WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": DECIMAL_STRING_PATTERN}]})


Megawatts = Annotated[
    PlainDecimal,
    Field(
        gt=0,
        le=Decimal("100000"),
        multiple_of=Decimal("0.1"),
        description="MW, > 0 and at most 100,000, in 0.1 MW steps (OA 7.3.5(d))",
    ),
    decimal_json_schema(exclusive_minimum=0, maximum=100_000, multiple_of=0.1),
]
DollarsPerMW = Annotated[
    PlainDecimal,
    Field(
        ge=Decimal("-1000000"),
        le=Decimal("1000000"),
        decimal_places=2,
        description="$/MW for the whole period of the class, -1,000,000 to 1,000,000 (negative: the buyer "
        "is paid)",
    ),
    decimal_json_schema(minimum=-1_000_000, maximum=1_000_000, multiple_of=0.01),
]
Dollars = Annotated[PlainDecimal, Field(decimal_places=2, description="US dollars"), decimal_json_schema()]


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list, newest last; ``total`` counts every item the caller may see (with the filters)."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next page (lists that page by cursor); null on the last page",
    )


class FieldProblem(BaseModel):
    field: str = Field(examples=["body.mw"])
    reason: str = Field(examples=["Input should be greater than 0"])
    row: int | None = Field(default=None, description="1-based data row of an upload", examples=[3])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["https://ftr-service.example/problems/validation-failed"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None
