"""The calendar year's running settlement totals per holder, persisted between months as JSON.

OA 5.2.6(b) compares, for the calendar year to date, each holder's target allocations with its credits
*including previously distributed excess*; OA 5.2.6(c) distributes what is left at year end. So months
settle in order: settling month ``m`` needs the state after month ``m - 1`` and returns the state after
``m``. Re-settling a month means re-running it, and every later month of the year, from the state
stored before it. Amounts are unrounded float64 dollars (JSON floats round-trip exactly).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from settlement.errors import YearStateError

FORMAT = "ftr-settlement-year-state/1"


@dataclass(frozen=True, slots=True)
class HolderYear:
    """A holder's calendar-year-to-date totals, $."""

    target_allocation: float = 0.0
    credit: float = 0.0
    monthly_distribution: float = 0.0
    annual_distribution: float = 0.0
    forfeited: float = 0.0

    @property
    def deficiency(self) -> float:
        """OA 5.2.6(b): ``max(TA - credits - distributions so far, 0)``."""
        return max(
            self.target_allocation - self.credit - self.monthly_distribution - self.annual_distribution, 0.0
        )


@dataclass(frozen=True, slots=True)
class YearState:
    """Totals for ``year`` after month ``last_month`` (0: none settled yet, so January comes next).

    ``carried_excess``: excess left after OA 5.2.6(a) and (b), carried to year end (OA 5.2.6(c)); it
    is negative only if months with negative charges left a deficit.
    """

    year: int
    last_month: int = 0
    carried_excess: float = 0.0
    holders: Mapping[str, HolderYear] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.last_month <= 12:
            raise YearStateError("year state", f"last_month must be 0..12, got {self.last_month}")
        object.__setattr__(self, "holders", MappingProxyType(dict(sorted(self.holders.items()))))

    @staticmethod
    def new(year: int, first_month: int = 1) -> YearState:
        """An empty state whose next month to settle is ``first_month`` (a service starting mid-year)."""
        if not 1 <= first_month <= 12:
            raise YearStateError("year state", f"first_month must be 1..12, got {first_month}")
        return YearState(year=year, last_month=first_month - 1)

    def check_next(self, year: int, month: int) -> None:
        """Raise :class:`YearStateError` unless ``(year, month)`` is the next month to settle."""
        if year != self.year:
            raise YearStateError("year state", f"the state is for {self.year}, not {year}")
        if month != self.last_month + 1:
            raise YearStateError(
                "year state",
                f"month {year}-{month:02d} cannot settle after month {self.last_month} "
                "(months settle in order)",
            )

    def holder(self, name: str) -> HolderYear:
        """A holder's totals (zeros if it held nothing yet this year)."""
        return self.holders.get(name, HolderYear())

    def advanced(self, month: int, holders: Mapping[str, HolderYear], carried_excess: float) -> YearState:
        """The state after ``month`` with updated holders (merged) and carry."""
        merged = dict(self.holders)
        merged.update(holders)
        return replace(self, last_month=month, carried_excess=carried_excess, holders=merged)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (``json.dumps`` it); :meth:`from_json` reads it back exactly."""
        return {
            "format": FORMAT,
            "year": self.year,
            "last_month": self.last_month,
            "carried_excess": self.carried_excess,
            "holders": {
                name: {
                    "target_allocation": h.target_allocation,
                    "credit": h.credit,
                    "monthly_distribution": h.monthly_distribution,
                    "annual_distribution": h.annual_distribution,
                    "forfeited": h.forfeited,
                }
                for name, h in self.holders.items()
            },
        }

    @staticmethod
    def from_json(data: Mapping[str, Any], source: str = "year state") -> YearState:
        """Parse :meth:`to_json` output; a wrong format, field or number is an error naming it."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise YearStateError(source, f"not a year state (expected format {FORMAT!r})", column="format")
        try:
            year = int(data["year"])
            last_month = int(data["last_month"])
            carried = _number(data["carried_excess"], source, "carried_excess")
            holders = {
                str(name): HolderYear(
                    **{key: _number(value, source, f"holders.{name}.{key}") for key, value in fields.items()}
                )
                for name, fields in dict(data["holders"]).items()
            }
        except KeyError as missing:
            raise YearStateError(source, f"missing field {missing}") from None
        except TypeError as bad:
            raise YearStateError(source, f"bad holder entry: {bad}") from None
        return YearState(year=year, last_month=last_month, carried_excess=carried, holders=holders)


def _number(value: object, source: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise YearStateError(source, f"{where} must be a finite number, got {value!r}", column=where)
    return float(value)
