"""Flows of the current awards on every row, and the choice of violated rows to add.

The exact flows come from the network (one injection vector for all obligations and the base model,
plus one column per option path with MW cleared, since only an option's adverse part counts), never
from the LP's possibly truncated coefficients, so the final awards are checked on the full network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from feasibility.formulation import Layout
from feasibility.grid import BASE_CASE, Grid
from feasibility.groups import ProductGroups
from feasibility.problem import ClearingProblem, FloatArray, IntArray


@dataclass(frozen=True)
class Violations:
    """Rows over their limit by more than the tolerance (sorted worst first)."""

    constraint_idx: IntArray
    case_idx: IntArray
    direction: IntArray
    amount_mw: FloatArray
    max_violation_mw: float


def point_injection(problem: ClearingProblem, groups: ProductGroups, group_mw: FloatArray) -> FloatArray:
    """Net MW at each problem point from obligation groups and the fixed base model."""
    k = len(problem.points)
    obligation = ~groups.is_option
    inj = np.bincount(groups.source[obligation], group_mw[obligation], minlength=k)
    inj -= np.bincount(groups.sink[obligation], group_mw[obligation], minlength=k)
    return inj + problem.fixed_point_injection()


def find_violations(
    grid: Grid,
    problem: ClearingProblem,
    groups: ProductGroups,
    layout: Layout,
    points_matrix: sp.csc_matrix,
    group_mw: FloatArray,
    tol_mw: float,
) -> Violations:
    """Every (constraint, case, direction) with ``d * flow - limit > tol_mw``, worst first (ties by index).

    ``d * flow`` counts obligations and the base model with their sign, loop flow, and options'
    adverse parts only. The case table is walked in the grid's memory-bounded blocks.
    """
    bus_inj = np.asarray(points_matrix @ point_injection(problem, groups, group_mw), dtype=np.float64)
    walkers: list[Iterator[tuple[int, FloatArray]]] = []
    opt = np.flatnonzero(groups.is_option & (group_mw > 0))
    if opt.size:
        path_mw = np.bincount(
            layout.option_path_of_group[opt], group_mw[opt], minlength=len(layout.option_path_src)
        )
        for q in np.flatnonzero(path_mw > 0):
            col = (
                points_matrix[:, [layout.option_path_src[q]]] - points_matrix[:, [layout.option_path_snk[q]]]
            )
            walkers.append(grid.case_flows(np.asarray(col.toarray()).reshape(-1) * path_mw[q]))
    loop = grid.loop_flow_mw[None, :]
    cons_l: list[IntArray] = []
    case_l: list[IntArray] = []
    dir_l: list[IntArray] = []
    amt_l: list[FloatArray] = []
    max_v = 0.0
    for start, block in grid.case_flows(bus_inj):
        flow = block + loop
        up = flow.copy()
        down = -flow
        for walker in walkers:
            o_start, f = next(walker)
            if o_start != start or f.shape != block.shape:
                raise RuntimeError("grid.case_flows blocks differ between calls")
            up += np.maximum(f, 0.0)
            down += np.maximum(-f, 0.0)
        case_no = np.arange(start, start + block.shape[0])
        limit = np.where(
            (case_no == 0)[:, None], grid.limit_normal_mw[None, :], grid.limit_emergency_mw[None, :]
        )
        for direction, f in ((1, up), (-1, down)):
            over = f - limit
            if over.size:
                max_v = max(max_v, float(np.max(over)))
            r, c = np.nonzero(over > tol_mw)
            cons_l.append(c.astype(np.int64))
            case_l.append((case_no[r] - 1).astype(np.int64))
            dir_l.append(np.full(c.size, direction, dtype=np.int64))
            amt_l.append(over[r, c])
    cons = np.concatenate(cons_l) if cons_l else np.zeros(0, dtype=np.int64)
    case = np.concatenate(case_l) if case_l else np.zeros(0, dtype=np.int64)
    d = np.concatenate(dir_l) if dir_l else np.zeros(0, dtype=np.int64)
    amount = np.concatenate(amt_l) if amt_l else np.zeros(0)
    order = np.lexsort((d, case, cons, -amount))
    return Violations(cons[order], case[order], d[order], amount[order], max(max_v, 0.0))


def row_key(constraint_idx: IntArray, case_idx: IntArray, direction: IntArray, n_cons: int) -> IntArray:
    """A unique integer per (constraint, case, direction)."""
    key: IntArray = ((case_idx - BASE_CASE) * n_cons + constraint_idx) * 2 + (direction > 0)
    return key


def select_rows(violations: Violations, active_keys: set[int], n_cons: int, max_rows: int) -> IntArray:
    """Positions in ``violations`` to add: not yet active, the worst case per (constraint, direction), capped.

    One row per constraint and direction per round: once the worst contingency of an element is in the
    LP the others are usually satisfied too, so adding them all would mostly add slack rows.
    """
    keys = row_key(violations.constraint_idx, violations.case_idx, violations.direction, n_cons)
    fresh = np.array([int(k) not in active_keys for k in keys], dtype=bool)
    idx = np.flatnonzero(fresh)
    pair = violations.constraint_idx[idx] * 2 + (violations.direction[idx] > 0)
    # violations are sorted worst first, so the first occurrence of each pair is its worst case
    _, first = np.unique(pair, return_index=True)
    chosen = idx[np.sort(first)]
    out: IntArray = chosen[:max_rows]
    return out
