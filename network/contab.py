"""Import of MATPOWER contingency tables (``contab``/``chgtab``, as read by ``apply_changes``).

A change table has seven columns (MATPOWER ``idx_ct``): label, probability, table, row, column,
change type, new value. This reader accepts the one kind of change an FTR model uses: a branch taken
out of service, i.e. table ``CT_TBRCH`` (3), column ``BR_STATUS`` (11), change type ``CT_REP`` (1),
new value 0. A *contingency* is the set of rows sharing a label; its id is the label as text
(``"12"``), and its branches are the branch-table rows (a MATPOWER branch's id in
:mod:`network.matpower`; for another network, the branch at that 1-based position).

Two file forms are read:

- a MATPOWER ``.m`` function whose body assigns the matrix (``chgtab = [ ... ];``), with the symbolic
  names of ``idx_ct``/``idx_brch`` (``CT_TBRCH``, ``BR_STATUS``, ``CT_REP``) or their numbers;
- a CSV file with the header ``label,probability,table,row,column,change_type,new_value`` and the
  same names or numbers in the cells.

Anything else (a generator or bus change, a scaling change, a status set to 1, row 0 meaning "all
rows", an unknown branch row) is refused with a :class:`ContabError` naming the file, the row (the
line of the file) and the column. The probability is read and checked (a number in [0, 1]) but not
used: the FTR model is deterministic, every listed contingency is secured.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from network.errors import CaseFormatError
from network.model import Contingency, Network

COLUMNS = ("label", "probability", "table", "row", "column", "change_type", "new_value")
#: MATPOWER's names for the numbers this reader understands (``idx_ct``, ``idx_brch``).
_NAMES = {
    "table": {
        "CT_TBUS": 1,
        "CT_TGEN": 2,
        "CT_TBRCH": 3,
        "CT_TAREABUS": 4,
        "CT_TAREAGEN": 5,
        "CT_TAREABRCH": 6,
        "CT_TLOAD": 7,
        "CT_TAREALOAD": 8,
        "CT_TGENCOST": 9,
        "CT_TAREAGENCOST": 10,
    },
    "column": {"BR_STATUS": 11},
    "change_type": {"CT_REP": 1, "CT_REL": 2, "CT_ADD": 3},
}
_WANTED = {
    "table": (3, "CT_TBRCH (3): only branch changes are read"),
    "column": (11, "BR_STATUS (11): only branch status changes are read"),
    "change_type": (1, "CT_REP (1): only replaced values are read"),
}


class ContabError(CaseFormatError):
    """A contingency table that cannot be read; names the file, line and column."""

    def __init__(self, file: str, line: int | None, column: str | None, problem: str) -> None:
        self.file, self.line, self.column, self.problem = file, line, column, problem
        where = file
        if line is not None:
            where += f", row {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class _Entry:
    line: int
    cells: tuple[str, ...]


def is_contab_csv(path: Path) -> bool:
    """Whether a CSV file's header is the change-table header (``label,probability,...``)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError):
        return False
    return [h.strip().lower() for h in header[:2]] == ["label", "probability"]


def _m_entries(path: Path) -> list[_Entry]:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        code = line.split("%", 1)[0]
        if re.search(r"^\s*\w+\s*=\s*\[", code):
            start = i
            break
    if start is None:
        raise ContabError(path.name, None, None, "no change table (a line 'chgtab = [' ...) in the file")
    out: list[_Entry] = []
    first = lines[start].split("%", 1)[0]
    pending = first[first.index("[") + 1 :]
    for n in range(start, len(lines)):
        code = pending if n == start else lines[n].split("%", 1)[0]
        closed = "]" in code
        if closed:
            code = code[: code.index("]")]
        code = code.replace("...", " ")
        for part in code.split(";"):
            cells = tuple(c for c in re.split(r"[\s,]+", part.strip()) if c)
            if cells:
                out.append(_Entry(n + 1, cells))
        if closed:
            return out
    raise ContabError(path.name, len(lines), None, "the change table's '[' is never closed with ']'")


def _csv_entries(path: Path) -> list[_Entry]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ContabError(path.name, None, None, "file is empty")
    header = tuple(h.strip().lower() for h in rows[0])
    if header != COLUMNS:
        raise ContabError(path.name, 1, None, f"header must be {','.join(COLUMNS)}, got {','.join(header)}")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        out.append(_Entry(n, tuple(c.strip() for c in row)))
    return out


def _number(file: str, entry: _Entry, k: int) -> float:
    column = COLUMNS[k]
    raw = entry.cells[k]
    named = _NAMES.get(column, {}).get(raw.upper())
    if named is not None:
        return float(named)
    try:
        return float(raw)
    except ValueError:
        raise ContabError(file, entry.line, column, f"{raw!r} is not a number or a known name") from None


def read_contab(path: str | Path, net: Network) -> list[Contingency]:
    """The branch-outage contingencies of a change table (``.m`` or ``.csv``), in order of first row."""
    p = Path(path)
    if not p.is_file():
        raise ContabError(p.name, None, None, "file not found")
    if p.suffix.lower() == ".m":
        entries = _m_entries(p)
    elif p.suffix.lower() == ".csv":
        entries = _csv_entries(p)
    else:
        raise ContabError(p.name, None, None, "a change table must be a MATPOWER .m function or a .csv file")
    grouped: dict[str, list[str]] = {}
    for e in entries:
        if len(e.cells) != len(COLUMNS):
            raise ContabError(
                p.name, e.line, None, f"{len(e.cells)} values; a change table row has {len(COLUMNS)}"
            )
        values = [_number(p.name, e, k) for k in range(len(COLUMNS))]
        label, prob, _table, row, _col, _chg, new = values
        if label != round(label):
            raise ContabError(p.name, e.line, "label", f"{e.cells[0]!r} is not an integer label")
        if not 0.0 <= prob <= 1.0:
            raise ContabError(p.name, e.line, "probability", f"{e.cells[1]!r} is not in [0, 1]")
        for k, column in ((2, "table"), (4, "column"), (5, "change_type")):
            wanted, meaning = _WANTED[column]
            if values[k] != wanted:
                raise ContabError(
                    p.name, e.line, column, f"{e.cells[k]!r} is not supported; expected {meaning}"
                )
        if new != 0.0:
            raise ContabError(
                p.name, e.line, "new_value", f"{e.cells[6]!r}: only branch outages (new value 0) are read"
            )
        if row != round(row) or not 1 <= row <= net.n_branches:
            raise ContabError(
                p.name, e.line, "row", f"{e.cells[3]!r} is not a branch row (1..{net.n_branches})"
            )
        branch = net.branch_ids[int(row) - 1]
        members = grouped.setdefault(str(int(label)), [])
        if branch in members:
            raise ContabError(
                p.name, e.line, "row", f"branch row {int(row)} listed twice in contingency {int(label)}"
            )
        members.append(branch)
    if not grouped:
        raise ContabError(p.name, None, None, "the change table has no rows")
    return [Contingency(cid, tuple(branches)) for cid, branches in grouped.items()]
