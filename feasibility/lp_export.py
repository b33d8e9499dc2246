"""The clearing LP written out, streamed, in CPLEX LP format: what an auditor re-solves.

The LP is the one of :mod:`feasibility.reference` (every row of the simultaneous feasibility test,
both directions, base case and every contingency; the same optimum the engine reaches by adding rows
as they bind), written a block of rows at a time so that memory stays at ``chunk_rows x points``
sensitivities whatever the size of the case, and the first bytes go out before the last row is
computed. Rows with no non-zero coefficient (no product crosses them) are left out, and so are
coefficients under :data:`ROUND_OFF`.

Names: the LP format allows few characters in names, so columns are ``x<j>`` and rows ``r<i>``; a
comment line before each names what they are (bid or offer id; constraint, contingency, direction).
Coefficients and bounds are written with ``repr`` of the float (shortest exact form): the same
inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from feasibility.grid import BASE_CASE, Grid
from feasibility.problem import ClearingProblem
from market_terms import IntArray

ROUND_OFF = 1e-12
"""Coefficients this small (in MW per MW) are round-off of the sensitivities and are left out (HiGHS
and most solvers drop values under 1e-9 when reading a model)."""

CHUNK_ROWS = 2048
"""Rows whose sensitivities are computed at once (memory: ``CHUNK_ROWS x points`` floats)."""


def _row_keys(grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(constraint, case, direction) of every row, in the reference's order."""
    n_cons = len(grid.constraint_ids)
    cases = np.array([BASE_CASE, *range(len(grid.contingency_ids))], dtype=np.int64)
    cons = np.tile(np.arange(n_cons, dtype=np.int64), 2 * len(cases))
    case = np.tile(np.repeat(cases, n_cons), 2)
    direction = np.repeat(np.array([1, -1], dtype=np.int64), n_cons * len(cases))
    return cons, case, direction


def _number(value: float) -> str:
    return repr(float(value))


def _term(coefficient: float, column: int, first: bool) -> str:
    """``c xj`` with its sign: ``+ 2.0 x3``, ``- 0.5 x1`` (the first term without a ``+``)."""
    sign = "-" if coefficient < 0 else ("" if first else "+")
    return f"{sign} {_number(abs(coefficient))} x{column}".lstrip()


def lp_lines(
    problem: ClearingProblem,
    grid: Grid,
    *,
    header: Sequence[str] = (),
    chunk_rows: int = CHUNK_ROWS,
    rows: tuple[IntArray, IntArray, IntArray] | None = None,
) -> Iterator[str]:
    """The LP in CPLEX LP format, line by line (each ending in a newline).

    ``header``: comment lines written first (e.g. the auction, class and input hash they came from).
    ``rows``: (constraint, case, direction) of the rows to write (default: every row). Every row
    with a non-zero shadow price is enough for the same optimum (the same duals satisfy the
    optimality conditions of the smaller LP); the rows that bound the clearing are those.
    """
    prod = problem.products
    for line in header:
        yield f"\\ {line}\n"
    if rows is None:
        yield f"\\ {len(prod.ids)} products; rows: constraint x (base case + {len(grid.contingency_ids)} "
        yield "contingencies) x 2 directions, rows no product crosses left out\n"
    else:
        yield f"\\ {len(prod.ids)} products; {len(rows[0])} rows given (of constraint x case x direction)\n"
    yield "Maximize\n"
    terms = [(float(prod.value[j]), j) for j in range(len(prod.ids)) if prod.value[j] != 0.0]
    yield (
        " surplus: "
        + (" ".join(_term(v, j, i == 0) for i, (v, j) in enumerate(terms)) if terms else "0 x0")
        + "\n"
    )
    yield "Subject To\n"
    cons, case, direction = _row_keys(grid) if rows is None else rows
    injection = grid.injection_matrix(problem.points)
    fixed_injection = problem.fixed_point_injection()
    ftrs = problem.fixed
    held_options = np.flatnonzero(ftrs.is_option)
    for start in range(0, len(cons), chunk_rows):
        c = cons[start : start + chunk_rows]
        k = case[start : start + chunk_rows]
        d = direction[start : start + chunk_rows]
        sens = grid.sensitivities(c, k, injection)
        rhs = np.where(k == BASE_CASE, grid.limit_normal_mw[c], grid.limit_emergency_mw[c]) - d * (
            sens @ fixed_injection + grid.loop_flow_mw[c]
        )
        for h in held_options:
            rhs -= np.maximum(d * (sens[:, ftrs.source[h]] - sens[:, ftrs.sink[h]]), 0.0) * ftrs.mw[h]
        flow = d[:, None] * (sens[:, prod.source] - sens[:, prod.sink])
        adverse = np.maximum(flow, 0.0)
        coefficients = np.where(prod.is_option, np.where(prod.is_sale, -adverse, adverse), flow)
        coefficients[np.abs(coefficients) <= ROUND_OFF] = 0.0
        for i in range(len(c)):
            row = coefficients[i]
            nonzero = np.flatnonzero(row)
            if not len(nonzero):
                continue
            contingency = "base case" if k[i] == BASE_CASE else f"contingency {grid.contingency_ids[k[i]]}"
            yield f"\\ r{start + i}: {grid.constraint_ids[c[i]]}, {contingency}, direction {int(d[i]):+d}\n"
            body = " ".join(_term(float(row[j]), int(j), n == 0) for n, j in enumerate(nonzero))
            yield f" r{start + i}: {body} <= {_number(rhs[i])}\n"
    yield "Bounds\n"
    for j, product_id in enumerate(prod.ids):
        yield f"\\ x{j}: {product_id}\n"
        yield f" 0 <= x{j} <= {_number(prod.mw_max[j])}\n"
    yield "End\n"
