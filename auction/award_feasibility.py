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
        whole steps needed to clear the overload (at most its award), passing over a cut that would
        overload another row; if none of the cheapest 4,096 is clean, the one of them leaving the
        least total overload (the loop goes on with what is left).

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
from feasibility.problem import ClearingProblem, path_coefficients
from feasibility.result import ClearingResult, LpRows
from market_terms import FloatArray, IntArray


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
_CANDIDATES = 512
"""Loading groups are tried in blocks of this many for a cut that overloads no other row."""
_SUB_BLOCK = 64
_SEARCH_LIMIT = 8 * _CANDIDATES
"""The clean-cut search looks at the cheapest this many loading groups. When none of them is clean
the cut that leaves the least total overload among them is taken and the loop repairs the rest: with
thousands of binding rows nearly every loading group is a counterflow somewhere, and scanning all of
them for a clean cut that rarely exists cost more than the LP's last rounds."""
"""Within a block, candidates with cuts of similar size are evaluated this many at a time."""
_REACH_MARGIN = 1.0 + 1e-6
"""Head room on a row's reach, far above the rounding of the values that it bounds."""


def _group_columns(groups: ProductGroups, sens: FloatArray, direction: IntArray, g: IntArray) -> FloatArray:
    """Row coefficients (rows x len(g)) of groups ``g``: ``d (S_src - S_snk)``, options adverse only
    (:func:`feasibility.problem.path_coefficients`)."""
    a = direction[:, None] * (sens[:, groups.source[g]] - sens[:, groups.sink[g]])
    out: FloatArray = path_coefficients(a, groups.is_option[g][None, :], groups.is_sale[g][None, :])
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
    # point-major sensitivities with the rows in order of their slack (tightest first): a cut can only
    # harm rows with little slack, and those then form a prefix that the clean-cut search reads alone
    by_slack = np.argsort(slack, kind="stable")
    sens_sorted = rows.sens[by_slack]
    reach = 2.0 * np.abs(sens_sorted).max(axis=1) if sens_sorted.shape[1] else np.zeros(len(by_slack))
    tight = _TightRows(by_slack, np.ascontiguousarray(sens_sorted.T), rows.direction[by_slack], reach)
    del sens_sorted
    for _ in range(max_steps):
        r = int(np.argmin(slack))
        if slack[r] >= -tol_mw:
            break
        a = rows.direction[r] * (rows.sens[r, groups.source] - rows.sens[r, groups.sink])
        a = path_coefficients(a, groups.is_option, groups.is_sale)
        raised = False
        up = np.flatnonzero(can_raise & (a < -1e-12))
        g = _first_clean_raise(groups, tight, slack, up[np.argsort(a[up], kind="stable")], tol_mw)
        if g >= 0:
            col = tight.column(groups, g)
            new = slack - AWARD_STEP_MW * col
            totals[g] += 1
            can_raise[g] = False
            steps.append(_step(problem, groups, g, -1, rows, r, float(-slack[r]), grid))
            slack = new
            raised = True
        if raised:
            continue
        loads = np.flatnonzero((totals > 0) & (a > _MIN_COEFF))
        if loads.size == 0:
            break
        order = loads[np.lexsort((loads, groups.value[loads] / a[loads]))]
        g, cut, col = _cheapest_clean_cut(groups, tight, slack, r, a, totals, order, tol_mw)
        totals[g] -= cut
        steps.append(_step(problem, groups, g, cut, rows, r, float(-slack[r]), grid))
        slack = slack + cut * AWARD_STEP_MW * col
    return steps


@dataclass(frozen=True)
class _TightRows:
    """The LP rows reordered by slack: ``perm`` (new position -> row), ``sens_t`` (points x rows,
    row-major), ``direction`` and ``reach`` (``2 max_p |S_p|``, a bound on ``|d (S_s - S_t)|``)."""

    perm: IntArray
    sens_t: FloatArray
    direction: IntArray
    reach: FloatArray

    def columns(self, groups: ProductGroups, g: IntArray, m: int) -> FloatArray:
        """Coefficients (len(g) x m) of groups ``g`` on the first ``m`` rows (options: adverse part)."""
        a = self.direction[None, :m] * (self.sens_t[groups.source[g], :m] - self.sens_t[groups.sink[g], :m])
        if bool(groups.is_option[g].any()):
            a = path_coefficients(a, groups.is_option[g][:, None], groups.is_sale[g][:, None])
        out: FloatArray = a
        return out

    def column(self, groups: ProductGroups, g: int) -> FloatArray:
        """Group ``g``'s coefficients on every row, in the LP's row order."""
        col = np.empty(len(self.perm))
        col[self.perm] = self.columns(groups, np.array([g]), len(self.perm))[0]
        return col


def _first_clean_raise(
    groups: ProductGroups, tight: _TightRows, slack: FloatArray, candidates: IntArray, tol_mw: float
) -> int:
    """The first candidate that one step up (0.1 MW) overloads no row by more than ``tol_mw``; -1 if none.

    A step moves row ``i`` by at most ``0.1 reach_i`` MW: rows with more slack cannot be overloaded by
    it, so only the prefix of rows (in order of slack) up to the last one it could reach is read.
    """
    if candidates.size == 0:
        return -1
    slack_p = slack[tight.perm]
    harmed = np.flatnonzero(slack_p < AWARD_STEP_MW * tight.reach * _REACH_MARGIN)
    if harmed.size == 0:
        return int(candidates[0])
    m = int(harmed[-1]) + 1
    for start in range(0, len(candidates), _CANDIDATES):
        block = candidates[start : start + _CANDIDATES]
        cols = tight.columns(groups, block, m)
        new = slack_p[None, :m] - AWARD_STEP_MW * cols
        ok = np.flatnonzero(~((cols > 0) & ~(new >= -tol_mw)).any(axis=1))
        if ok.size:
            return int(block[int(ok[0])])
    return -1


def _cheapest_clean_cut(
    groups: ProductGroups,
    tight: _TightRows,
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
    none of the cheapest ``_SEARCH_LIMIT`` is clean, the cut among them leaving the least total
    overload is taken (the loop repairs the rest).

    A cut of ``c`` steps moves row ``i`` by at most ``0.1 c reach_i`` MW, so a row with more slack than
    that ends with a non-negative slack: it is neither made worse beyond the tolerance nor adds to the
    overload. Within a block, candidates are taken by size of cut and only the rows up to the last
    one that such a cut could harm are read (rows are in order of slack, so that is a short prefix
    when the cuts are small). The choice is the one a look at every row gives.
    """
    fallback: tuple[float, int, int] | None = None
    slack_p = slack[tight.perm]
    floor_p = np.minimum(slack_p, -tol_mw)
    candidates = candidates[:_SEARCH_LIMIT]
    need_all = np.ceil(-slack[r] / a[candidates] / AWARD_STEP_MW - 1e-9).astype(np.int64)
    cut_all = np.maximum(1, np.minimum(need_all, totals[candidates]))
    for start in range(0, min(len(candidates), _SEARCH_LIMIT), _CANDIDATES):
        block = candidates[start : start + _CANDIDATES]
        cut = cut_all[start : start + _CANDIDATES]
        worse = np.zeros(block.size, dtype=bool)
        overload = np.zeros(block.size)
        by_cut = np.argsort(cut, kind="stable")
        for s0 in range(0, block.size, _SUB_BLOCK):
            sub = by_cut[s0 : s0 + _SUB_BLOCK]
            reach_mw = (int(cut[sub[-1]]) * AWARD_STEP_MW) * tight.reach * _REACH_MARGIN
            harmed = np.flatnonzero(slack_p < reach_mw)
            if harmed.size == 0:
                continue
            m = int(harmed[-1]) + 1
            after = slack_p[None, :m] + cut[sub][:, None] * AWARD_STEP_MW * tight.columns(
                groups, block[sub], m
            )
            worse[sub] = (after < floor_p[None, :m]).any(axis=1)
            overload[sub] = np.minimum(after, 0.0).sum(axis=1)
        clean = np.flatnonzero(~worse)
        if clean.size:
            i = int(clean[0])
            return int(block[i]), int(cut[i]), tight.column(groups, int(block[i]))
        i = int(np.argmax(overload))
        if fallback is None or overload[i] > fallback[0]:
            fallback = (float(overload[i]), int(block[i]), int(cut[i]))
    assert fallback is not None
    return fallback[1], fallback[2], tight.column(groups, fallback[1])


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
