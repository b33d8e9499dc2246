"""Keep the 0.1 MW awards simultaneously feasible (OA 7.3.5(d), OA 7.3.6(b)).

Rounding a group's award down (``auction.pro_rata``) lowers its flow on every row. That can only
overload a row on which the group was a *counterflow* (it relieved the row), and then by less than
0.1 MW times its sensitivity. The repair works on group totals, in whole steps, and only lowers awards
except for one allowed move up:

Phase 1, on the rows of the final LP (their sensitivities are at hand, so a step costs O(groups)):

    while some LP row is over its limit by more than the tolerance:
        take the worst such row r;
        if a group that was rounded down relieves r and one step back up overloads no row, raise it
        (never above its LP value rounded up to a step, never above its MW);
        otherwise, among groups with MW awarded that load r (coefficient a_g > 0), lower the one that
        loses the least surplus per MW of relief, min v_g / a_g (ties: canonical group order), by the
        whole steps needed to clear the overload (at most its award).

Phase 2, on the full network: the awards are checked on every row in every case; in the rare event
that a row outside the LP is overloaded, the same greedy cut is applied there, one full check per cut.

Cuts only go down and each raise happens at most once per group, so both loops end; at zero awards
only the base model is left, which the LP found feasible. Every change is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from auction.bids import AWARD_STEP_MW
from auction.pro_rata import split_steps
from feasibility.check import check_awards, product_row_coefficients
from feasibility.grid import Grid
from feasibility.groups import ProductGroups, group_products
from feasibility.problem import ClearingProblem, FloatArray, IntArray
from feasibility.result import ClearingResult, LpRows


@dataclass(frozen=True, slots=True)
class RepairStep:
    """One change: the group ``product_ids`` lowered by ``steps`` x 0.1 MW (raised by one if -1) for a row."""

    product_ids: tuple[str, ...]
    steps: int
    constraint_id: str
    contingency_id: str | None
    direction: int
    overload_mw: float


_MIN_COEFF = 1e-6
"""MW per MW: a group loading a row less than this is not cut for it (the cut would be huge)."""
_CANDIDATES = 256
"""Loading groups are tried in blocks of this many for a cut that overloads no other row."""


def _group_columns(groups: ProductGroups, sens: FloatArray, direction: IntArray, g: IntArray) -> FloatArray:
    """Row coefficients (rows x len(g)) of groups ``g``: ``d (S_src - S_snk)``, options adverse only."""
    a = direction[:, None] * (sens[:, groups.source[g]] - sens[:, groups.sink[g]])
    out: FloatArray = np.where(groups.is_option[g][None, :], np.maximum(a, 0.0), a)
    return out


def _group_columns_t(groups: ProductGroups, sens_t: FloatArray, direction: IntArray, g: IntArray) -> FloatArray:
    """:func:`_group_columns` transposed (len(g) x rows), from the point-major ``sens_t`` (points x rows).

    Same values element by element; reading whole rows of ``sens_t`` is what makes it fast (a column
    of the row-major sensitivities is one cache line per row).
    """
    a = direction[None, :] * (sens_t[groups.source[g]] - sens_t[groups.sink[g]])
    out: FloatArray = np.where(groups.is_option[g][:, None], np.maximum(a, 0.0), a)
    return out


def _row_loads(
    problem: ClearingProblem, groups: ProductGroups, rows: LpRows, group_mw: FloatArray
) -> FloatArray:
    """``coeffs @ x`` of the LP rows for group MW ``x`` (the base model is already in ``rhs``)."""
    k = len(problem.points)
    obl = ~groups.is_option
    u = np.bincount(groups.source[obl], group_mw[obl], minlength=k) - np.bincount(
        groups.sink[obl], group_mw[obl], minlength=k
    )
    load: FloatArray = (rows.direction * (rows.sens @ u)).astype(np.float64)
    opt = np.flatnonzero(groups.is_option & (group_mw > 0))
    if opt.size:
        load = load + _group_columns(groups, rows.sens, rows.direction, opt) @ group_mw[opt]
    return load


def _lp_row_repair(
    problem: ClearingProblem,
    groups: ProductGroups,
    rows: LpRows,
    lp_group_mw: FloatArray,
    totals: IntArray,
    asked_total: IntArray,
    tol_mw: float,
    grid: Grid,
    max_steps: int,
) -> list[RepairStep]:
    """Phase 1 (module doc); updates ``totals`` in place and returns the changes made."""
    steps: list[RepairStep] = []
    if rows.sens.shape[0] == 0:
        return steps
    rounded_mw = (totals * AWARD_STEP_MW).astype(np.float64)
    slack: FloatArray = rows.rhs - _row_loads(problem, groups, rows, rounded_mw)
    can_raise = (lp_group_mw > totals * AWARD_STEP_MW + 1e-9) & (totals < asked_total)
    sens_t = np.ascontiguousarray(rows.sens.T)
    for _ in range(max_steps):
        r = int(np.argmin(slack))
        if slack[r] >= -tol_mw:
            break
        a = rows.direction[r] * (rows.sens[r, groups.source] - rows.sens[r, groups.sink])
        a = np.where(groups.is_option, np.maximum(a, 0.0), a)
        raised = False
        for g in np.flatnonzero(can_raise & (a < -1e-12))[
            np.argsort(a[can_raise & (a < -1e-12)], kind="stable")
        ]:
            col = _group_columns_t(groups, sens_t, rows.direction, np.array([g]))[0]
            new = slack - AWARD_STEP_MW * col
            if np.all(new[col > 0] >= -tol_mw):
                totals[g] += 1
                can_raise[g] = False
                steps.append(_step(problem, groups, int(g), -1, rows, r, float(-slack[r]), grid))
                slack = new
                raised = True
                break
        if raised:
            continue
        loads = np.flatnonzero((totals > 0) & (a > _MIN_COEFF))
        if loads.size == 0:
            break
        order = loads[np.lexsort((loads, groups.value[loads] / a[loads]))]
        g, cut, col = _cheapest_clean_cut(groups, rows, sens_t, slack, r, a, totals, order, tol_mw)
        totals[g] -= cut
        steps.append(_step(problem, groups, g, cut, rows, r, float(-slack[r]), grid))
        slack = slack + cut * AWARD_STEP_MW * col
    return steps


def _cheapest_clean_cut(
    groups: ProductGroups,
    rows: LpRows,
    sens_t: FloatArray,
    slack: FloatArray,
    r: int,
    a: FloatArray,
    totals: IntArray,
    candidates: IntArray,
    tol_mw: float,
) -> tuple[int, int, FloatArray]:
    """The cheapest candidate (surplus per MW of relief) whose cut overloads no other row.

    Cutting a group also removes its relief on rows where it is a counterflow; a cut that would
    overload such a row is passed over. Candidates come cheapest first and are tried in blocks. If
    none is clean, the cut leaving the least total overload is taken (the loop repairs the rest).
    ``sens_t`` is ``rows.sens`` transposed (points x rows, row-major).
    """
    fallback: tuple[float, int, int, FloatArray] | None = None
    floor = np.minimum(slack, -tol_mw)[None, :]
    for start in range(0, len(candidates), _CANDIDATES):
        block = candidates[start : start + _CANDIDATES]
        cols = _group_columns_t(groups, sens_t, rows.direction, block)
        need = np.ceil(-slack[r] / a[block] / AWARD_STEP_MW - 1e-9).astype(np.int64)
        cut = np.maximum(1, np.minimum(need, totals[block]))
        after = slack[None, :] + cut[:, None] * AWARD_STEP_MW * cols
        worse = after < floor
        clean = np.flatnonzero(~worse.any(axis=1))
        if clean.size:
            i = int(clean[0])
            return int(block[i]), int(cut[i]), cols[i]
        overload = np.minimum(after, 0.0).sum(axis=1)
        i = int(np.argmax(overload))
        if fallback is None or overload[i] > fallback[0]:
            fallback = (float(overload[i]), int(block[i]), int(cut[i]), cols[i].copy())
    assert fallback is not None
    return fallback[1], fallback[2], fallback[3]


def _step(
    problem: ClearingProblem,
    groups: ProductGroups,
    g: int,
    cut: int,
    rows: LpRows,
    r: int,
    overload: float,
    grid: Grid,
) -> RepairStep:
    members = tuple(problem.products.ids[int(i)] for i in np.flatnonzero(groups.group_of_product == g))
    k = int(rows.case_idx[r])
    return RepairStep(
        product_ids=members,
        steps=cut,
        constraint_id=grid.constraint_ids[int(rows.constraint_idx[r])],
        contingency_id=None if k < 0 else grid.contingency_ids[k],
        direction=int(rows.direction[r]),
        overload_mw=overload,
    )


def repair_awards(
    problem: ClearingProblem,
    grid: Grid,
    lp: ClearingResult,
    asked_steps: IntArray,
    group_steps: IntArray,
    tol_mw: float,
    *,
    max_steps: int = 100_000,
) -> tuple[IntArray, tuple[RepairStep, ...], float]:
    """Make the rounded group totals feasible; returns (steps per product, changes, max violation MW).

    ``group_steps``: each group's total rounded down, in steps; ``lp``: the LP result (its rows and
    group values). A change with ``steps = -1`` is a group raised back by one step.
    """
    ids: Sequence[str] = problem.products.ids
    groups = group_products(problem.products)
    group_of_product = groups.group_of_product
    totals = group_steps.copy()
    asked_total = np.bincount(group_of_product, asked_steps, minlength=len(groups)).astype(np.int64)
    lp_group_mw = np.bincount(group_of_product, lp.product_mw, minlength=len(groups)).astype(np.float64)
    changes: list[RepairStep] = []
    if lp.lp_rows is not None:
        changes += _lp_row_repair(
            problem, groups, lp.lp_rows, lp_group_mw, totals, asked_total, tol_mw, grid, max_steps
        )
    awards = split_steps(group_of_product, asked_steps, totals, ids)
    for _ in range(max_steps):
        viol = check_awards(problem, grid, (awards * AWARD_STEP_MW).astype(np.float64), tol_mw)
        if viol.amount_mw.size == 0:
            return awards, tuple(changes), viol.max_violation_mw
        c, k, d = viol.constraint_idx[:1], viol.case_idx[:1], viol.direction[:1]
        coeff = product_row_coefficients(problem, grid, c, k, d)[0]
        loads = (awards > 0) & (coeff > 1e-12)
        if not np.any(loads):
            return awards, tuple(changes), viol.max_violation_mw
        cand = np.flatnonzero(loads)
        ratio = problem.products.value[cand] / coeff[cand]
        pick = int(cand[np.lexsort((group_of_product[cand], ratio))[0]])
        g = int(group_of_product[pick])
        need = math.ceil(float(viol.amount_mw[0]) / float(coeff[pick]) / AWARD_STEP_MW - 1e-9)
        cut = max(1, min(need, int(totals[g])))
        totals[g] -= cut
        awards = split_steps(group_of_product, asked_steps, totals, ids)
        members = tuple(ids[int(i)] for i in np.flatnonzero(group_of_product == g))
        changes.append(
            RepairStep(
                product_ids=members,
                steps=cut,
                constraint_id=grid.constraint_ids[int(c[0])],
                contingency_id=None if int(k[0]) < 0 else grid.contingency_ids[int(k[0])],
                direction=int(d[0]),
                overload_mw=float(viol.amount_mw[0]),
            )
        )
    viol = check_awards(problem, grid, (awards * AWARD_STEP_MW).astype(np.float64), tol_mw)
    return awards, tuple(changes), viol.max_violation_mw
