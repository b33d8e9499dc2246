"""The one CSV writer of the service's exports: a header row, then one row per record.

UTF-8 text, ``\\n`` line ends, the :mod:`csv` module's quoting; ``None`` is written as an empty cell.
Each export's columns and values are its domain's (``mapping.py``); how a CSV is written is here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV text of ``header`` and ``rows`` (``None`` cells empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def models_csv(items: Iterable[BaseModel], columns: Sequence[str]) -> str:
    """One row per wire model, in JSON mode (decimals as text, times as ISO 8601)."""
    dumped = (item.model_dump(mode="json") for item in items)
    return write_csv(columns, ([data[c] for c in columns] for data in dumped))
