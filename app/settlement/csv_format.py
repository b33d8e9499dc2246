"""The one reader of the settlement input CSV format (uploads over HTTP and ``ftr settle`` files).

UTF-8 text (a byte-order mark is dropped), a header row first, every cell read as text (no NA guessing:
an empty cell stays ``""``), spaces after a delimiter skipped, header names stripped. What the cells
mean is checked by the caller (:mod:`app.settlement.upload` for the service, :mod:`app.commands.settle`
for the command line), each with its own way of naming the place of a bad cell.
"""

from __future__ import annotations

import io

import pandas as pd


class SettlementCsvError(ValueError):
    """The bytes are not a readable settlement CSV; ``empty`` when there is not even a header row."""

    def __init__(self, message: str, *, empty: bool = False) -> None:
        super().__init__(message)
        self.empty = empty


def read_settlement_csv(content: bytes) -> pd.DataFrame:
    """The table, every column text; raises :class:`SettlementCsvError` naming what is wrong."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SettlementCsvError("the CSV is not UTF-8 text") from exc
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise SettlementCsvError("the CSV has no header", empty=True) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise SettlementCsvError(f"the CSV cannot be read: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
