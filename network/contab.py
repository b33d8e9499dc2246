"""Import of MATPOWER contingency tables (``contab``/``chgtab``, as read by ``apply_changes``).

A change table has seven columns (MATPOWER ``idx_ct``): label, probability, table, row, column,
change type, new value. A *contingency* is the set of rows sharing a label; its id is the label as
text (``"12"``). Two kinds of row are read:

- a branch taken out of service: table ``CT_TBRCH`` (3), column ``BR_STATUS`` (11), change type
  ``CT_REP`` (1), new value 0. Its row is the branch-table row (a MATPOWER branch's id in
  :mod:`network.matpower`; for another network, the branch at that 1-based position);
- a generator taken out of service: table ``CT_TGEN`` (2), column ``GEN_STATUS`` (8), ``CT_REP``,
  new value 0. It is read, checked and *not secured*: an FTR's flows are the DC network's response
  to its own point-to-point injection, which a generator outage does not change (the PTDF and LODF
  depend on the branches only), so the post-contingency constraint would be the base case's again.
  RTOs' simultaneous feasibility tests likewise model transmission contingencies only (generator
  losses are a matter for reserves in the energy market). Generator rows are returned in
  :attr:`ContabTable.generator_outages`; a label with only generator rows forms no contingency.

Two file forms are read:

- a MATPOWER ``.m`` function whose body assigns the matrix (``chgtab = [ ... ];``), with the symbolic
  names of ``idx_ct``/``idx_brch``/``idx_gen`` (``CT_TBRCH``, ``BR_STATUS``, ``CT_TGEN``,
  ``GEN_STATUS``, ``CT_REP``) or their numbers;
- a CSV file with the header ``label,probability,table,row,column,change_type,new_value`` and the
  same names or numbers in the cells.

Anything else (a bus or load change, a scaling change, a status set to 1, row 0 meaning "all rows",
an unknown branch or generator row) is refused with a :class:`ContabError` naming the file, the row
(the line of the file) and the column. The probability is read and checked (a number in [0, 1]) but
not used: the FTR model is deterministic, every listed contingency is secured.
"""

from __future__ import annotations

import csv
import io
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
    "column": {"BR_STATUS": 11, "GEN_STATUS": 8},
    "change_type": {"CT_REP": 1, "CT_REL": 2, "CT_ADD": 3},
}
BRANCH_TABLE, GENERATOR_TABLE = 3, 2
#: The column a status change sets, per table: BR_STATUS of a branch, GEN_STATUS of a generator.
_STATUS_COLUMN = {BRANCH_TABLE: (11, "BR_STATUS (11)"), GENERATOR_TABLE: (8, "GEN_STATUS (8)")}
_REPLACE = (1, "CT_REP (1): only replaced values are read")


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
class GeneratorOutage:
    """A generator-outage row of a change table: read and checked, not secured (module docstring)."""

    label: str
    generator_row: int
    line: int


@dataclass(frozen=True, slots=True)
class ContabTable:
    """What a change table holds: its branch-outage contingencies (in order of first row) and its
    generator-outage rows, which the FTR model does not secure."""

    contingencies: tuple[Contingency, ...]
    generator_outages: tuple[GeneratorOutage, ...] = ()

    @property
    def generator_only_labels(self) -> tuple[str, ...]:
        """Labels whose rows are all generator outages (no contingency is formed for them)."""
        kept = {c.id for c in self.contingencies}
        return tuple(dict.fromkeys(g.label for g in self.generator_outages if g.label not in kept))


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


def _m_entries(name: str, text: str) -> list[_Entry]:
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        code = line.split("%", 1)[0]
        if re.search(r"^\s*\w+\s*=\s*\[", code):
            start = i
            break
    if start is None:
        raise ContabError(name, None, None, "no change table (a line 'chgtab = [' ...) in the file")
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
    raise ContabError(name, len(lines), None, "the change table's '[' is never closed with ']'")


def _csv_entries(name: str, text: str) -> list[_Entry]:
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    if not rows:
        raise ContabError(name, None, None, "file is empty")
    header = tuple(h.strip().lower() for h in rows[0])
    if header != COLUMNS:
        raise ContabError(name, 1, None, f"header must be {','.join(COLUMNS)}, got {','.join(header)}")
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
    """The branch-outage contingencies of a change table (``.m`` or ``.csv``), in order of first row
    (generator outages are read, checked and left out: :func:`read_contab_table` returns them)."""
    return list(read_contab_table(path, net).contingencies)


def read_contab_table(path: str | Path, net: Network) -> ContabTable:
    """A change table file (``.m`` or ``.csv``, chosen by the suffix) read whole."""
    p = Path(path)
    if not p.is_file():
        raise ContabError(p.name, None, None, "file not found")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContabError(p.name, None, None, "the file is not UTF-8 text") from None
    return parse_contab(p.name, text, net)


def parse_contab(name: str, text: str, net: Network, *, kind: str | None = None) -> ContabTable:
    """A change table given as text; ``kind`` (``"m"`` or ``"csv"``) defaults to ``name``'s suffix.
    Errors name ``name``, the line and the column."""
    form = kind or Path(name).suffix.lower().lstrip(".")
    if form == "m":
        entries = _m_entries(name, text)
    elif form == "csv":
        entries = _csv_entries(name, text)
    else:
        raise ContabError(name, None, None, "a change table must be a MATPOWER .m function or a .csv file")
    grouped: dict[str, list[str]] = {}
    generators: list[GeneratorOutage] = []
    for e in entries:
        label, table, row = _row(name, e, net)
        if table == GENERATOR_TABLE:
            generators.append(GeneratorOutage(label, row, e.line))
            continue
        branch = net.branch_ids[row - 1]
        members = grouped.setdefault(label, [])
        if branch in members:
            raise ContabError(name, e.line, "row", f"branch row {row} listed twice in contingency {label}")
        members.append(branch)
    if not grouped:
        if generators:
            raise ContabError(
                name,
                None,
                None,
                "the change table has no branch outage; its generator outages alone "
                "do not change the network an FTR's flows run on (docs/rules.md)",
            )
        raise ContabError(name, None, None, "the change table has no rows")
    return ContabTable(
        tuple(Contingency(cid, tuple(branches)) for cid, branches in grouped.items()), tuple(generators)
    )


def _row(name: str, e: _Entry, net: Network) -> tuple[str, int, int]:
    """``(label, table, 1-based row)`` of a checked branch- or generator-outage row."""
    if len(e.cells) != len(COLUMNS):
        raise ContabError(name, e.line, None, f"{len(e.cells)} values; a change table row has {len(COLUMNS)}")
    values = [_number(name, e, k) for k in range(len(COLUMNS))]
    label, prob, table, row, column, change, new = values
    if label != round(label):
        raise ContabError(name, e.line, "label", f"{e.cells[0]!r} is not an integer label")
    if not 0.0 <= prob <= 1.0:
        raise ContabError(name, e.line, "probability", f"{e.cells[1]!r} is not in [0, 1]")
    if table not in _STATUS_COLUMN:
        raise ContabError(
            name,
            e.line,
            "table",
            f"{e.cells[2]!r} is not supported; expected CT_TBRCH (3) for a branch "
            "outage or CT_TGEN (2) for a generator outage",
        )
    wanted_column, column_name = _STATUS_COLUMN[int(table)]
    if column != wanted_column:
        raise ContabError(
            name,
            e.line,
            "column",
            f"{e.cells[4]!r} is not supported; expected {column_name}: only status changes are read",
        )
    if change != _REPLACE[0]:
        raise ContabError(
            name, e.line, "change_type", f"{e.cells[5]!r} is not supported; expected {_REPLACE[1]}"
        )
    if new != 0.0:
        raise ContabError(name, e.line, "new_value", f"{e.cells[6]!r}: only outages (new value 0) are read")
    if table == GENERATOR_TABLE:
        top = len(net.generators)
        if row != round(row) or row < 1 or (top and row > top):
            rows = f"1..{top}" if top else "1 or more"
            raise ContabError(name, e.line, "row", f"{e.cells[3]!r} is not a generator row ({rows})")
        return str(int(label)), GENERATOR_TABLE, int(row)
    if row != round(row) or not 1 <= row <= net.n_branches:
        raise ContabError(name, e.line, "row", f"{e.cells[3]!r} is not a branch row (1..{net.n_branches})")
    return str(int(label)), BRANCH_TABLE, int(row)
