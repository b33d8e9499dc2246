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
from feasibility.grid import Grid
from feasibility.groups import ProductGroups
from feasibility.problem import ClearingProblem, FloatArray, IntArray


@dataclass(frozen=True)
class Violations:
    """The worst violated case of each (constraint, direction), over the tolerance, worst first.

    ``n_violated`` counts every violated (constraint, case, direction); ``max_violation_mw`` is the
    largest ``d * flow - limit`` over every row (0 if none is positive), active rows included.
    """

    constraint_idx: IntArray
    case_idx: IntArray
    direction: IntArray
    amount_mw: FloatArray
    max_violation_mw: float
    n_violated: int = 0


@dataclass(frozen=True)
class ActiveRows:
    """Rows already in the LP: ignored when looking for rows to add."""

    constraint_idx: IntArray
    case_idx: IntArray
    direction: IntArray


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
    active: ActiveRows | None = None,
) -> Violations:
    """The worst case of each (constraint, direction) with ``d * flow - limit > tol_mw``, skipping ``active``.

    ``d * flow`` counts obligations and the base model with their sign, loop flow, and options'
    adverse parts only. The case table is walked in the grid's memory-bounded blocks and reduced to
    one worst case per (constraint, direction) as it goes, so memory stays ``O(block + n_cons)``.
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
    n_cons = len(grid.constraint_ids)
    worst = {d: np.full(n_cons, -np.inf) for d in (1, -1)}
    worst_case = {d: np.zeros(n_cons, dtype=np.int64) for d in (1, -1)}
    act_case_row = np.zeros(0, dtype=np.int64) if active is None else active.case_idx + 1
    max_v = 0.0
    n_violated = 0
    cols = np.arange(n_cons)
    for start, block in grid.case_flows(bus_inj):
        stop = start + block.shape[0]
        flow = block + loop
        if walkers:
            up = flow.copy()
            down = -flow
            for walker in walkers:
                o_start, f = next(walker)
                if o_start != start or f.shape != block.shape:
                    raise RuntimeError("grid.case_flows blocks differ between calls")
                up += np.maximum(f, 0.0)
                down += np.maximum(-f, 0.0)
        else:
            up, down = flow, -flow
        case_no = np.arange(start, stop)
        # the base case (case row 0) has the normal limit; a block without it broadcasts the emergency one
        if start == 0:
            limit = np.where(
                (case_no == 0)[:, None], grid.limit_normal_mw[None, :], grid.limit_emergency_mw[None, :]
            )
        else:
            limit = grid.limit_emergency_mw[None, :]
        in_block = (act_case_row >= start) & (act_case_row < stop) if active is not None else None
        for direction, f in ((1, up), (-1, down)):
            over = np.subtract(f, limit, out=f) if f is not flow else f - limit
            if over.size == 0:
                continue
            row = np.argmax(over, axis=0)
            best = over[row, cols]
            # the largest element of the block is the largest of the column maxima
            max_v = max(max_v, float(np.max(best)))
            n_violated += int(np.count_nonzero(over > tol_mw))
            if active is not None and in_block is not None:
                mine = in_block & (active.direction == direction)
                if np.any(mine):
                    hit_cols = np.unique(active.constraint_idx[mine])
                    over[act_case_row[mine] - start, active.constraint_idx[mine]] = -np.inf
                    # only the columns with an active row masked can change their worst case
                    row[hit_cols] = np.argmax(over[:, hit_cols], axis=0)
                    best[hit_cols] = over[row[hit_cols], hit_cols]
            better = best > worst[direction]
            worst[direction][better] = best[better]
            worst_case[direction][better] = case_no[row[better]] - 1
    cons_l, case_l, dir_l, amt_l = [], [], [], []
    for direction in (1, -1):
        hit = np.flatnonzero(worst[direction] > tol_mw)
        cons_l.append(hit)
        case_l.append(worst_case[direction][hit])
        dir_l.append(np.full(hit.size, direction, dtype=np.int64))
        amt_l.append(worst[direction][hit])
    cons = np.concatenate(cons_l).astype(np.int64)
    case = np.concatenate(case_l).astype(np.int64)
    d = np.concatenate(dir_l)
    amount = np.concatenate(amt_l).astype(np.float64)
    order = np.lexsort((d, case, cons, -amount))
    return Violations(cons[order], case[order], d[order], amount[order], max(max_v, 0.0), n_violated)


def select_rows(violations: Violations, max_rows: int) -> IntArray:
    """Positions in ``violations`` to add: the worst ``max_rows`` (one case per constraint and direction).

    One row per constraint and direction per round: once the worst contingency of an element is in the
    LP the others are usually satisfied too, so adding them all would mostly add slack rows.
    """
    out: IntArray = np.arange(min(max_rows, violations.amount_mw.size), dtype=np.int64)
    return out
