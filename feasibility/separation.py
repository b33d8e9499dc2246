"""Flows of the current awards on every row, and the choice of violated rows to add.

The exact flows come from the network (one injection vector for all obligations and the base model's,
plus one column per option path with MW bought or held, since only an option's adverse part counts), never
from the LP's possibly truncated coefficients, so the final awards are checked on the full network.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from feasibility.grid import Grid
from feasibility.groups import ProductGroups
from feasibility.problem import ClearingProblem, merge_paths
from market_terms import FloatArray, IntArray


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


def option_path_mw(
    problem: ClearingProblem, groups: ProductGroups, group_mw: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Options by path (source, sink, MW > 0): MW bought, plus the base model's options, less MW sold.

    An option's flow on a row is ``max(0, d s_q) x`` for every option on path ``q``, so the options of
    a path add up (a sale counts negative; it never exceeds the held MW in the base model)."""
    opt = np.flatnonzero(groups.is_option & (group_mw > 0))
    f_src, f_snk, f_mw = problem.fixed.option_paths()
    src = np.concatenate([groups.source[opt], f_src])
    snk = np.concatenate([groups.sink[opt], f_snk])
    mw = np.concatenate([np.where(groups.is_sale[opt], -group_mw[opt], group_mw[opt]), f_mw])
    p_src, p_snk, net = merge_paths(src, snk, mw)
    keep = net > 0
    return p_src[keep], p_snk[keep], net[keep]


def find_violations(
    grid: Grid,
    problem: ClearingProblem,
    groups: ProductGroups,
    points_matrix: sp.csc_matrix,
    group_mw: FloatArray,
    tol_mw: float,
    active: ActiveRows | None = None,
) -> Violations:
    """The worst case of each (constraint, direction) with ``d * flow - limit > tol_mw``, skipping ``active``.

    ``d * flow`` counts obligations and the base model with their sign, loop flow, and options'
    adverse parts only. The case table is walked in the grid's memory-bounded blocks and reduced to
    one worst case per (constraint, direction) as it goes, so memory stays ``O(block + n_cons)``.

    Within a block every contingency has the same (emergency) limit and loop flow per constraint, so
    the worst case of a constraint is the block's largest (or, downwards, smallest) flow on it: the
    block is reduced as it comes, constraint-major (the network's own layout), the two directions on
    two threads, without building flow-minus-limit copies.
    """
    bus_inj = np.asarray(points_matrix @ point_injection(problem, groups, group_mw), dtype=np.float64)
    walkers: list[Iterator[tuple[int, FloatArray]]] = []
    for src, snk, mw in zip(*option_path_mw(problem, groups, group_mw), strict=True):
        col = points_matrix[:, [int(src)]] - points_matrix[:, [int(snk)]]
        walkers.append(grid.case_flows(np.asarray(col.toarray()).reshape(-1) * mw))
    loop = grid.loop_flow_mw
    n_cons = len(grid.constraint_ids)
    scan = {d: _DirectionScan(n_cons, tol_mw) for d in (1, -1)}
    masks = {d: _ActiveMask(active, d) for d in (1, -1)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for start, block in grid.case_flows(bus_inj):
            stop = start + block.shape[0]
            flow_t = block.T  # constraints x cases of the block
            scores = {1: (flow_t, 1), -1: (flow_t, -1)}
            if walkers:
                up_t = np.array(flow_t)
                down_t = -flow_t
                for walker in walkers:
                    o_start, f = next(walker)
                    if o_start != start or f.shape != block.shape:
                        raise RuntimeError("grid.case_flows blocks differ between calls")
                    up_t += np.maximum(f.T, 0.0)
                    down_t += np.maximum(-f.T, 0.0)
                scores = {1: (up_t, 1), -1: (down_t, 1)}
            # the base case (case row 0) has the normal limit, contingencies the emergency one
            parts = [(start, 0, stop - start)]
            if start == 0:
                parts = [(0, 0, 1)] + ([(1, 1, stop)] if stop > 1 else [])
            for case0, lo, hi in parts:
                limit = grid.limit_normal_mw if case0 == 0 else grid.limit_emergency_mw
                jobs = [
                    pool.submit(
                        scan[d].add,
                        scores[d][0][:, lo:hi],
                        scores[d][1],
                        limit - d * loop,
                        case0,
                        masks[d].in_range(case0, case0 + hi - lo),
                    )
                    for d in (1, -1)
                ]
                for job in jobs:
                    job.result()
    cons_l, case_l, dir_l, amt_l = [], [], [], []
    for direction in (1, -1):
        sc = scan[direction]
        hit = np.flatnonzero(sc.worst > tol_mw)
        cons_l.append(hit)
        case_l.append(sc.worst_case[hit])
        dir_l.append(np.full(hit.size, direction, dtype=np.int64))
        amt_l.append(sc.worst[hit])
    cons = np.concatenate(cons_l).astype(np.int64)
    case = np.concatenate(case_l).astype(np.int64)
    d = np.concatenate(dir_l)
    amount = np.concatenate(amt_l).astype(np.float64)
    order = np.lexsort((d, case, cons, -amount))
    max_v = max(scan[1].max_violation, scan[-1].max_violation, 0.0)
    return Violations(
        cons[order], case[order], d[order], amount[order], max_v, scan[1].n_violated + scan[-1].n_violated
    )


class _ActiveMask:
    """The active rows of one direction, as (case row, constraint) pairs sorted by case row."""

    def __init__(self, active: ActiveRows | None, direction: int) -> None:
        if active is None:
            self.case_row = self.cons = np.zeros(0, dtype=np.int64)
            return
        mine = active.direction == direction
        case_row = active.case_idx[mine] + 1
        order = np.argsort(case_row, kind="stable")
        self.case_row = case_row[order]
        self.cons = active.constraint_idx[mine][order]

    def in_range(self, start: int, stop: int) -> tuple[IntArray, IntArray]:
        """(case row - start, constraint) of the active rows with case rows in ``[start, stop)``."""
        lo, hi = np.searchsorted(self.case_row, [start, stop])
        return self.case_row[lo:hi] - start, self.cons[lo:hi]


class _DirectionScan:
    """Running worst case per constraint in one direction, over the blocks seen so far."""

    def __init__(self, n_cons: int, tol_mw: float) -> None:
        self.worst = np.full(n_cons, -np.inf)
        self.worst_case = np.zeros(n_cons, dtype=np.int64)
        self.max_violation = 0.0
        self.n_violated = 0
        self._tol = tol_mw
        self._cols = np.arange(n_cons)

    def add(
        self,
        values_t: FloatArray,
        sign: int,
        threshold: FloatArray,
        case0: int,
        masked: tuple[IntArray, IntArray],
    ) -> None:
        """Fold in cases ``case0 ..`` (case rows; 0 is the base case): ``values_t`` is constraints x
        cases, the row value is ``sign * values_t - threshold`` (threshold per constraint)."""
        if values_t.shape[1] == 0:
            return
        row = np.argmax(values_t, axis=1) if sign > 0 else np.argmin(values_t, axis=1)
        best = sign * values_t[self._cols, row] - threshold
        # the largest row value of the block is the largest of the constraints' maxima
        self.max_violation = max(self.max_violation, float(np.max(best)))
        if sign > 0:
            self.n_violated += int(np.count_nonzero(values_t > (threshold + self._tol)[:, None]))
        else:
            self.n_violated += int(np.count_nonzero(values_t < -(threshold + self._tol)[:, None]))
        local, cons = masked
        if local.size:
            # rows already in the LP are not candidates: re-reduce only the constraints that have one
            hit, pos = np.unique(cons, return_inverse=True)
            sub = sign * values_t[hit]
            sub[pos, local] = -np.inf
            sub_row = np.argmax(sub, axis=1)
            row[hit] = sub_row
            best[hit] = sub[np.arange(hit.size), sub_row] - threshold[hit]
        better = best > self.worst
        self.worst[better] = best[better]
        self.worst_case[better] = case0 + row[better] - 1


def select_rows(violations: Violations, max_rows: int) -> IntArray:
    """Positions in ``violations`` to add: the worst ``max_rows`` (one case per constraint and direction).

    One row per constraint and direction per round: once the worst contingency of an element is in the
    LP the others are usually satisfied too, so adding them all would mostly add slack rows.
    """
    out: IntArray = np.arange(min(max_rows, violations.amount_mw.size), dtype=np.int64)
    return out
