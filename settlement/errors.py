"""Errors for bad settlement input: each names the input, the row or element, the column and the problem.

Error tree::

    ValueError
    └── SettlementInputError        bad or inconsistent input data (never a rule outcome)
        └── YearStateError          months settled out of order, or a state for another year
"""

from __future__ import annotations


class SettlementInputError(ValueError):
    """Bad input. ``source`` names the input (a file or table), ``row`` a 1-based data row when known."""

    def __init__(self, source: str, problem: str, *, row: int | None = None, column: str | None = None):
        self.source = source
        self.problem = problem
        self.row = row
        self.column = column
        where = source
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")


class YearStateError(SettlementInputError):
    """The year state does not fit the month being settled (OA 5.2.6(b) needs months in order)."""
