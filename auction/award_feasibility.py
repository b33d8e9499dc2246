"""Keep the 0.1 MW awards simultaneously feasible and lose as little surplus as that allows
(OA 7.3.5(d), OA 7.3.6(b)).

Rounding a group's award down (``auction.pro_rata``) lowers its flow on every row. That can only
overload a row on which the group was a *counterflow* (it relieved the row), and then by less than
0.1 MW times its sensitivity. The repair works on group totals in whole steps, on a *working set* of
rows whose group coefficients it holds: the rows of the final LP to begin with, plus any row the full
check later finds overloaded. With ``a_rg`` the MW group ``g`` puts on row ``r`` per MW awarded
(``d_r (S_r,src - S_r,snk)``; options their adverse part, a sold option minus it) and
``slack_r = rhs_r - sum_g a_rg x_g``, a change of ``dx_g`` moves every slack by ``-a_rg dx_g``: the
flows are updated by the group's own column, never recomputed.

1. **Mend** every overloaded working row in one pass, worst first, each move applied to every slack
   at once by the moved group's column (a row mended by an earlier move of the pass is skipped):
   a group rounded down that relieves the row (``a_rg < 0``, most relief first) is raised one step if
   that overloads no working row (never above its LP value rounded up to a step, never above its MW,
   once per group); otherwise the loading group (``a_rg > 0``, MW awarded) with the least surplus
   per MW of relief ``v_g / a_rg`` (ties: canonical order) whose cut by the steps the row needs (at
   most its award) overloads no other row nor worsens an overloaded one, among the cheapest 4,096;
   failing that, the cut leaving the least total overload among the cheapest :data:`_FALLBACK_LIMIT`.
   A move is tested on the rows least slack first, in growing chunks, and dropped at the first row
   it overloads: the near-binding rows reject most moves after a few reads. Passes repeat until no working
   row is overloaded. Cuts only go down and raises happen once per group, so the passes end; at zero
   awards only the base model is left, which the LP found feasible.
2. **Confirm** on the full network: one check of every monitored row in every case
   (:func:`feasibility.check.check_awards`). The worst overloaded case of each constraint and
   direction joins the working set and the mend runs again; the check is repeated until it is clean.
3. **Add back**: groups below their cap (the LP value rounded up to a step, at most the MW asked) with
   a positive value get steps back, highest value ($/MW) first, as many as keep every working row within
   its limit; so a fully filled bid keeps its MW whenever that is feasible. The candidates are taken in
   blocks: the block's columns are computed at once and only the rows its steps could overload (those
   with less slack than the block's total positive load) are followed step by step. A final full
   check confirms (and, should a row outside the working set object, goes back to 1).
4. **Polish** (off, :data:`POLISH`): the groups the rounding moved (below their cap, or fractional
   in the LP) re-choose their
   steps by the small integer program of :mod:`auction.award_polish` over the working rows they can
   overload, started from the greedy answer; a full check confirms it (rows it finds overloaded join the
   working set and the program runs again); the answer is kept only if it gains surplus and is clean.

Every mend is reported as a :class:`RepairStep`; the steps added back are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from auction.award_polish import polish_steps
from auction.bids import AWARD_STEP_MW
from auction.pro_rata import split_steps
from feasibility.check import check_awards
from feasibility.grid import Grid, row_limits
from feasibility.groups import ProductGroups, group_products
from feasibility.problem import ClearingProblem, path_coefficients
from feasibility.result import ClearingResult
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


@dataclass(frozen=True, slots=True)
class Repair:
    """The outcome of :func:`repair_awards`."""

    product_steps: IntArray
    """Each product's award in 0.1 MW steps (problem order)."""
    changes: tuple[RepairStep, ...]
    max_violation_mw: float
    """The largest overload left on any row in any case after the final full check (0 if none)."""
    steps_added_back: int = 0
    full_checks: int = 0
    mend_rounds: int = 0
    working_rows: int = 0
    polish_gain: float = 0.0
    """$ of surplus the integer program over the free groups added to the greedy's awards."""
    polish_steps: int = 0
    """Steps the integer program moved (added plus removed)."""


_MIN_COEFF = 1e-6
"""MW per MW: a group moving a row less than this is not moved for it (the move would be huge)."""
_ROW_BLOCK = 64
"""Overloaded rows priced against every group this many at a time (memory: rows x groups floats)."""
_CANDIDATES = 256
"""Candidate moves checked together for one that overloads no other row."""
_SEARCH_LIMIT = 4096
"""Loading groups looked at, cheapest first, for a clean cut."""
_REACH_MARGIN = 1.0 + 1e-6
"""Head room on a row's reach, far above the rounding of the values it bounds."""
_FALLBACK_LIMIT = 4096
"""When no cut is clean, the cut leaving the least total overload is taken among this many cheapest."""
_FIRST_CHUNK = 16
"""Rows read first (least slack) when looking for clean moves; each further chunk is 4 times larger."""
_RAISE_LIMIT = 1024
"""Rounded-down relieving groups looked at, most relief first, for a clean raise."""
_ADD_BLOCK = 512
"""Add-back candidates whose columns are computed together."""
_POLISH_DOWN = 1
"""Steps below its rounded-down LP value (or its award, if lower) a free group may go in the polish."""
POLISH = False
"""The polish (step 4) is off: raising a group of several bids to its cap (the group's LP total
rounded up) can give one bid of the pro-rata split more than its own LP award rounded up, which the
awards must never exceed (a property test found it); it stays off until its bounds are per bid."""
_POLISH_MAX_GROUPS = 5_000
"""Free groups above this many: no polish (its dense columns would be too large)."""
_POLISH_MAX_DENSE = 4_000_000
"""Free groups x working rows above this many: no polish (checked before the dense columns, 8 bytes
each, are built; the program itself is capped at ``award_polish.MAX_NONZEROS`` coefficients)."""
_MAX_CONFIRM = 50
"""Full checks at most (each adds the rows it finds overloaded; in practice 1-3 are needed)."""


def _adverse(a: FloatArray, groups: ProductGroups, g: IntArray, *, group_axis: int) -> FloatArray:
    """Obligation coefficients ``a`` of groups ``g`` made path coefficients (options: adverse part,
    sales negative); a no-op copy-free pass when none of ``g`` is an option."""
    opt = groups.is_option[g]
    if not opt.any():
        return a
    shape = (-1, 1) if group_axis == 0 else (1, -1)
    out: FloatArray = path_coefficients(a, opt.reshape(shape), groups.is_sale[g].reshape(shape))
    return out


@dataclass
class _WorkingRows:
    """Rows whose slack is tracked: sensitivities (rows x points), direction, rhs and slack (MW)."""

    constraint_idx: IntArray
    case_idx: IntArray
    direction: IntArray
    sens: FloatArray
    rhs: FloatArray
    slack: FloatArray = field(default_factory=lambda: np.zeros(0))
    _sens_t: FloatArray | None = None
    _reach: FloatArray | None = None

    def columns(self, groups: ProductGroups, g: IntArray, rows: IntArray) -> FloatArray:
        """``a_rg`` (len(rows) x len(g)) of groups ``g`` on a few rows (options: adverse part; sales
        negative)."""
        sens = self.sens[rows]
        a = self.direction[rows][:, None] * (sens[:, groups.source[g]] - sens[:, groups.sink[g]])
        return _adverse(a, groups, g, group_axis=1)

    def reach(self) -> FloatArray:
        """``2 max_p |S_rp|`` per row: a bound on any group's ``|a_rg|`` (MW per MW)."""
        if self._reach is None:
            self._reach = (
                2.0 * np.abs(self.sens).max(axis=1) if self.sens.shape[1] else np.zeros(len(self.rhs))
            )
        return self._reach

    def group_columns(self, groups: ProductGroups, g: IntArray, rows: IntArray | None = None) -> FloatArray:
        """``a_rg`` of groups ``g`` on every row (or on ``rows`` only), group-major (len(g) x rows): read
        from point-major sensitivities, so a group's column is two contiguous rows (and only the
        entries of ``rows`` are gathered)."""
        if self._sens_t is None:
            self._sens_t = np.ascontiguousarray(self.sens.T)
        s_t = self._sens_t
        if rows is None:
            a = (s_t[groups.source[g]] - s_t[groups.sink[g]]) * self.direction[None, :]
        elif 2 * g.size < s_t.shape[0]:  # few groups: gather their entries only
            a = s_t[groups.source[g][:, None], rows[None, :]]
            a -= s_t[groups.sink[g][:, None], rows[None, :]]
            a *= self.direction[rows][None, :]
        else:  # many groups: the rows' block of every point first (two contiguous gathers)
            sub = s_t.take(rows, axis=1)
            a = sub.take(groups.source[g], axis=0)
            a -= sub.take(groups.sink[g], axis=0)
            a *= self.direction[rows][None, :]
        return _adverse(a, groups, g, group_axis=0)

    def move(self, groups: ProductGroups, g: IntArray, delta_steps: IntArray) -> None:
        """Apply ``delta_steps`` to groups ``g``: each slack moves by the groups' own columns."""
        if g.size and self.slack.size:
            self.slack = self.slack - (delta_steps * AWARD_STEP_MW) @ self.group_columns(groups, g)


class _Rounding:
    """State of one repair: group totals (steps), caps, the working rows."""

    def __init__(
        self,
        problem: ClearingProblem,
        grid: Grid,
        lp: ClearingResult,
        asked_steps: IntArray,
        group_steps: IntArray,
        tol_mw: float,
    ) -> None:
        self.problem, self.grid, self.tol = problem, grid, tol_mw
        self.groups = group_products(problem.products)
        self.asked_steps = asked_steps
        g_of = self.groups.group_of_product
        n_g = len(self.groups)
        self.totals = group_steps.astype(np.int64).copy()
        asked_total = np.bincount(g_of, asked_steps, minlength=n_g).astype(np.int64)
        lp_mw = np.bincount(g_of, lp.product_mw, minlength=n_g).astype(np.float64)
        lp_up = np.ceil(np.maximum(lp_mw, 0.0) / AWARD_STEP_MW - 1e-6).astype(np.int64)
        lp_steps = np.maximum(lp_mw, 0.0) / AWARD_STEP_MW
        self.lp_down = np.floor(lp_steps + 1e-6).astype(np.int64)
        self.lp_fractional = np.abs(lp_steps - np.rint(lp_steps)) > 1e-6
        self.cap = np.minimum(asked_total, np.maximum(lp_up, self.totals))
        self.can_raise = self.totals < self.cap
        self.points_matrix = grid.injection_matrix(problem.points)
        k = len(problem.points)
        if lp.lp_rows is not None and lp.lp_rows.sens.shape[0]:
            r = lp.lp_rows
            self.rows = _WorkingRows(r.constraint_idx, r.case_idx, r.direction, r.sens, r.rhs)
        else:
            e = np.zeros(0, dtype=np.int64)
            self.rows = _WorkingRows(e, e, e, np.zeros((0, k)), np.zeros(0))
        self.rows.slack = self.rows.rhs - self._loads(self.rows, self.totals)
        self.changes: list[RepairStep] = []
        self.mend_rounds = 0
        self.added_back = 0
        self.full_checks = 0
        self.max_violation = 0.0
        self.polish_gain = 0.0
        self.polish_steps = 0

    def _loads(self, rows: _WorkingRows, totals: IntArray) -> FloatArray:
        """``sum_g a_rg x_g`` for group totals ``totals`` (steps)."""
        if rows.sens.shape[0] == 0:
            return np.zeros(0)
        x = totals * AWARD_STEP_MW
        k = len(self.problem.points)
        gr = self.groups
        obl = ~gr.is_option
        u = np.bincount(gr.source[obl], x[obl], minlength=k) - np.bincount(gr.sink[obl], x[obl], minlength=k)
        load: FloatArray = (rows.direction * (rows.sens @ u)).astype(np.float64)
        opt = np.flatnonzero(gr.is_option & (x > 0))
        if opt.size:
            load = load + x[opt] @ rows.group_columns(gr, opt)
        return load

    def product_steps(self) -> IntArray:
        return split_steps(
            self.groups.group_of_product, self.asked_steps, self.totals, self.problem.products.ids
        )

    # -- 1. mend ---------------------------------------------------------------------------------
    def mend(self) -> None:
        gr, rows = self.groups, self.rows
        all_groups = np.arange(len(gr))
        while True:
            over = np.flatnonzero(rows.slack < -self.tol)
            if over.size == 0:
                return
            self.mend_rounds += 1
            moved = False
            over = over[np.argsort(rows.slack[over], kind="stable")]  # worst first
            for start in range(0, over.size, _ROW_BLOCK):
                block = over[start : start + _ROW_BLOCK]
                a_block = rows.columns(gr, all_groups, block)  # rows x groups
                for i, r in enumerate(block.tolist()):
                    if rows.slack[r] >= -self.tol:
                        continue  # mended by an earlier move
                    a = a_block[i]
                    g, delta = self._move_for(a, r)
                    if g < 0:
                        continue  # nothing can move this row: left for the report
                    self._record(g, -delta, r)
                    if delta > 0:
                        self.can_raise[g] = False
                    self.totals[g] += delta
                    rows.move(gr, np.array([g]), np.array([delta]))
                    moved = True
            if not moved:
                return

    def _move_for(self, a: FloatArray, r: int) -> tuple[int, int]:
        """The move that mends row ``r`` (``a``: every group's coefficient on it): (group, change in
        steps), or (-1, 0) if no group can move it.

        First a rounded-down group that relieves the row (most relief first) raised one step, if that
        overloads no working row; otherwise the loading group with the least surplus per MW of relief
        ``v_g / a_g`` (ties: canonical order) whose cut by the steps the row needs (at most its award)
        overloads no other working row (nor worsens an overloaded one), among the cheapest
        ``_SEARCH_LIMIT``; failing that, the cut among them leaving the least total overload.
        """
        up = np.flatnonzero(self.can_raise & (a < -_MIN_COEFF))
        up = up[np.lexsort((up, a[up]))][:_RAISE_LIMIT]
        if up.size:
            clean = self._clean_positions(up, np.ones(up.size, dtype=np.int64))
            if clean.size:
                return int(up[int(clean[0])]), 1
        loads = np.flatnonzero((self.totals > 0) & (a > _MIN_COEFF))
        if loads.size == 0:
            return -1, 0
        loads = loads[np.lexsort((loads, self.groups.value[loads] / a[loads]))][:_SEARCH_LIMIT]
        need = np.ceil(-self.rows.slack[r] / a[loads] / AWARD_STEP_MW - 1e-9).astype(np.int64)
        cut = np.maximum(1, np.minimum(need, self.totals[loads]))
        clean = self._clean_positions(loads, -cut)
        if clean.size:
            j = int(clean[0])
            return int(loads[j]), -int(cut[j])
        best: tuple[float, int, int] | None = None
        for start in range(0, min(loads.size, _FALLBACK_LIMIT), _CANDIDATES):
            block = loads[start : start + _CANDIDATES]
            delta = -cut[start : start + _CANDIDATES]
            # a move whose overload on part of the rows is already worse than the best cannot win
            keep = np.arange(block.size) if best is None else self._not_worse(block, delta, best[0])
            if keep.size == 0:
                continue
            _, overload = self._clean(block[keep], delta[keep])
            j = int(np.argmax(overload))
            if best is None or overload[j] > best[0]:
                best = (float(overload[j]), int(block[keep[j]]), int(delta[keep[j]]))
        assert best is not None
        return best[1], best[2]

    def _not_worse(self, cand: IntArray, delta: IntArray, bound: float) -> IntArray:
        """Positions of the moves whose total overload (:meth:`_clean`) may reach ``bound``: the
        overload summed over part of the rows (least slack first) only falls as rows are added, so a
        move below ``bound`` on a part (by more than rounding) is dropped."""
        rows = self.rows
        reach_mw = float(np.abs(delta).max()) * AWARD_STEP_MW * rows.reach() * _REACH_MARGIN
        tight = np.flatnonzero(rows.slack < reach_mw)
        alive = np.arange(cand.size)
        if tight.size == 0:
            return alive
        tight = tight[np.argsort(rows.slack[tight], kind="stable")]
        floor = bound - 1e-9 * max(1.0, abs(bound))
        partial = np.zeros(cand.size)
        start, size = 0, _FIRST_CHUNK
        while start < tight.size and alive.size:
            chunk = tight[start : start + size]
            cols = rows.group_columns(self.groups, cand[alive], chunk)
            after = rows.slack[chunk][None, :] - cols * (delta[alive] * AWARD_STEP_MW)[:, None]
            partial[alive] += np.minimum(after, 0.0).sum(axis=1)
            alive = alive[partial[alive] >= floor]
            start += size
            size *= 4
        return alive

    def _clean_positions(self, cand: IntArray, delta: IntArray) -> IntArray:
        """Positions of the moves that overload no working row (nor worsen an overloaded one): the
        same set as :meth:`_clean`'s, found by reading the rows least slack first in growing chunks and
        dropping a move at the first row it overloads (near-binding rows reject most moves at once)."""
        rows = self.rows
        reach_mw = float(np.abs(delta).max()) * AWARD_STEP_MW * rows.reach() * _REACH_MARGIN
        tight = np.flatnonzero(rows.slack < reach_mw)
        alive = np.arange(cand.size)
        if tight.size == 0:
            return alive
        tight = tight[np.argsort(rows.slack[tight], kind="stable")]
        start, size = 0, _FIRST_CHUNK
        while start < tight.size and alive.size:
            chunk = tight[start : start + size]
            slack = rows.slack[chunk]
            cols = rows.group_columns(self.groups, cand[alive], chunk)
            after = slack[None, :] - cols * (delta[alive] * AWARD_STEP_MW)[:, None]
            floor = np.minimum(slack, -self.tol)[None, :]
            alive = alive[~(after < floor).any(axis=1)]
            start += size
            size *= 4
        return alive

    def _clean(self, cand: IntArray, delta: IntArray) -> tuple[IntArray, FloatArray]:
        """Positions of the moves that overload no working row (nor worsen an overloaded one), and
        each move's total overload left (MW, <= 0).

        A move of ``c`` steps lowers row ``i``'s slack by at most ``0.1 c reach_i`` MW (``reach_i =
        2 max_p |S_ip|`` bounds ``|a_ig|``), so only rows with less slack than that are read.
        """
        rows = self.rows
        reach_mw = float(np.abs(delta).max()) * AWARD_STEP_MW * rows.reach() * _REACH_MARGIN
        tight = np.flatnonzero(rows.slack < reach_mw)
        if tight.size == 0:
            return np.arange(cand.size), np.zeros(cand.size)
        slack = rows.slack[tight]
        cols = rows.group_columns(self.groups, cand, tight)
        after = slack[None, :] - cols * (delta * AWARD_STEP_MW)[:, None]
        floor = np.minimum(slack, -self.tol)[None, :]
        clean = np.flatnonzero(~(after < floor).any(axis=1))
        overload: FloatArray = np.minimum(after, 0.0).sum(axis=1)
        return clean, overload

    def _record(self, g: int, steps: int, r: int) -> None:
        rows, grid = self.rows, self.grid
        members = tuple(
            self.problem.products.ids[int(i)] for i in np.flatnonzero(self.groups.group_of_product == g)
        )
        k = int(rows.case_idx[r])
        self.changes.append(
            RepairStep(
                product_ids=members,
                steps=steps,
                constraint_id=grid.constraint_ids[int(rows.constraint_idx[r])],
                contingency_id=None if k < 0 else grid.contingency_ids[k],
                direction=int(rows.direction[r]),
                overload_mw=float(-rows.slack[r]),
            )
        )

    def settle(self) -> bool:
        """Mend and confirm until the full check is clean (True) or the check limit is reached."""
        for _ in range(_MAX_CONFIRM):
            self.mend()
            if self.confirm() is None:
                return True
        return False

    # -- 2. confirm ------------------------------------------------------------------------------
    def confirm(self) -> float | None:
        """One full check; ``None`` when clean, else the rows found join the working set (and the
        largest overload is returned)."""
        mw = (self.product_steps() * AWARD_STEP_MW).astype(np.float64)
        viol = check_awards(self.problem, self.grid, mw, self.tol)
        self.full_checks += 1
        self.max_violation = viol.max_violation_mw
        if viol.amount_mw.size == 0:
            return None
        self._add_rows(viol.constraint_idx, viol.case_idx, viol.direction)
        return viol.max_violation_mw

    def _add_rows(self, cons: IntArray, case: IntArray, direction: IntArray) -> None:
        problem, grid = self.problem, self.grid
        sens = grid.sensitivities(cons, case, self.points_matrix)
        fixed = sens @ problem.fixed_point_injection() + grid.loop_flow_mw[cons]
        rhs = (
            row_limits(grid, cons, case)
            - direction * fixed
            - problem.fixed.option_adverse_mw(sens, direction)
        )
        new = _WorkingRows(cons, case, direction, sens, rhs)
        new.slack = rhs - self._loads(new, self.totals)
        r = self.rows
        self.rows = _WorkingRows(
            np.concatenate([r.constraint_idx, cons]),
            np.concatenate([r.case_idx, case]),
            np.concatenate([r.direction, direction]),
            np.vstack([r.sens, sens]),
            np.concatenate([r.rhs, rhs]),
            np.concatenate([r.slack, new.slack]),
        )

    # -- 3. add back -----------------------------------------------------------------------------
    def add_back(self) -> None:
        gr, rows = self.groups, self.rows
        want = self.cap - self.totals
        cand = np.flatnonzero((want > 0) & (gr.value > 0))
        if cand.size == 0:
            return
        cand = cand[np.lexsort((cand, -gr.value[cand]))]
        floor = -0.5 * self.tol
        for start in range(0, cand.size, _ADD_BLOCK):
            block = cand[start : start + _ADD_BLOCK]
            cols = rows.group_columns(gr, block)  # block x rows
            step_mw = want[block] * AWARD_STEP_MW
            worst = step_mw @ np.maximum(cols, 0.0)
            risky = np.flatnonzero(rows.slack - worst < floor)
            got = want[block].copy()
            if risky.size:
                slack = rows.slack[risky].copy()
                sub = cols[:, risky]
                for j in range(block.size):
                    col = sub[j]
                    up = col > 0
                    if up.any():
                        room = (slack[up] - floor) / (col[up] * AWARD_STEP_MW)
                        got[j] = int(max(0, min(int(want[block[j]]), int(np.floor(room.min() + 1e-12)))))
                    if got[j]:
                        slack -= got[j] * AWARD_STEP_MW * col
            if got.any():
                self.totals[block] += got
                rows.slack = rows.slack - (got * AWARD_STEP_MW) @ cols
                self.added_back += int(got.sum())

    # -- 4. polish -----------------------------------------------------------------------------
    def polish(self) -> None:
        """Re-choose the free groups' last steps by the integer program of :mod:`auction.award_polish`,
        confirm on the full network (rows found overloaded join the working set and the program runs
        again), and keep the answer only if it is feasible everywhere and gains surplus."""
        gr = self.groups
        free = np.flatnonzero((self.totals < self.cap) | self.lp_fractional)
        if free.size == 0 or free.size > _POLISH_MAX_GROUPS:
            return
        if free.size * len(self.rows.rhs) > _POLISH_MAX_DENSE:
            return
        before = self.totals.copy()
        lower = np.maximum(0, np.minimum(before[free], self.lp_down[free]) - _POLISH_DOWN) - before[free]
        upper = self.cap[free] - before[free]
        value_step = gr.value[free] * AWARD_STEP_MW
        for _ in range(_MAX_CONFIRM):
            rows = self.rows
            base_slack = rows.rhs - self._loads(rows, before)
            result = polish_steps(value_step, rows.group_columns(gr, free), base_slack, lower, upper)
            if result.gain <= 0.0:
                break
            self.totals = before.copy()
            self.totals[free] += result.change
            rows.slack = rows.rhs - self._loads(rows, self.totals)
            if self.confirm() is None:
                self.polish_gain = result.gain
                self.polish_steps = int(np.abs(result.change).sum())
                return
        self.totals = before
        self.rows.slack = self.rows.rhs - self._loads(self.rows, self.totals)
        self.max_violation = 0.0


def repair_awards(
    problem: ClearingProblem,
    grid: Grid,
    lp: ClearingResult,
    asked_steps: IntArray,
    group_steps: IntArray,
    tol_mw: float,
) -> Repair:
    """Make the rounded group totals feasible and add steps back where they fit (module doc).

    ``group_steps``: each group's total rounded down, in steps; ``lp``: the LP result (its rows and
    awards); ``asked_steps``: each product's MW asked, in steps.
    """
    state = _Rounding(problem, grid, lp, asked_steps, group_steps, tol_mw)
    if state.settle():
        state.add_back()
        if state.added_back:
            state.settle()
        if POLISH and state.max_violation <= tol_mw:
            state.polish()
    return _done(state)


def _done(state: _Rounding) -> Repair:
    return Repair(
        product_steps=state.product_steps(),
        changes=tuple(state.changes),
        max_violation_mw=state.max_violation,
        steps_added_back=state.added_back,
        full_checks=state.full_checks,
        mend_rounds=state.mend_rounds,
        working_rows=len(state.rows.rhs),
        polish_gain=state.polish_gain,
        polish_steps=state.polish_steps,
    )


def rounding_loss(
    problem: ClearingProblem, lp_product_mw: FloatArray, awarded_mw: FloatArray
) -> dict[str, float]:
    """Surplus ($) and MW the 0.1 MW awards lose against the LP's (a product above its LP value counts
    negative), and the share of the LP surplus lost."""
    value = problem.products.value
    lp_surplus = float(value @ lp_product_mw) if len(value) else 0.0
    surplus = float(value @ awarded_mw) if len(value) else 0.0
    lost = lp_surplus - surplus
    return {
        "surplus_lost": lost,
        "surplus_lost_share": lost / abs(lp_surplus) if lp_surplus else 0.0,
        "mw_lost": float(np.sum(lp_product_mw - awarded_mw)),
        "mw_below_lp": float(np.sum(np.maximum(lp_product_mw - awarded_mw, 0.0))),
    }


__all__: Sequence[str] = ("Repair", "RepairStep", "repair_awards", "rounding_loss")
