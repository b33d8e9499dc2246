"""Solve the clearing LP by constraint generation with HiGHS (OA 7.2.1, 7.3.6(b), 7.4).

The full simultaneous feasibility test has ``2 x n_constraints x (1 + n_contingencies)`` rows (both
directions, base case and every contingency): ~3e8 on a 10k-bus grid under N-1, far too many to write.
Only a few hundred bind. So:

1. start with no constraint rows (every positively valued product at its MW);
2. compute the exact flows of the current awards on every monitored constraint in every case
   (:func:`feasibility.separation.find_violations`, the network's vectorised flow call);
3. stop if no row is over its limit by more than ``feasibility_tol_mw``; otherwise add the worst
   violated row of each (constraint, direction), up to ``max_rows_per_iteration``, and re-solve from
   the previous optimal basis (dual simplex: added rows only cut off the old vertex; a round that
   adds few rows is priced with Devex, see :data:`DEVEX_ROW_SHARE`), or, for a round that adds many
   rows to a large LP, from scratch by interior point and crossover (:data:`INTERIOR_ROW_SHARE`);
4. repeat.

Bid pricing (column generation, ``ClearingOptions.price_columns``): a bid group's column only enters
the linking rows, so with ``y`` the duals of those rows its reduced cost is
``rc_g = -v_g - (L^T y)_g = price_g - v_g`` (``price_g = pi_sink - pi_source`` for an obligation, the
option path's adverse price for an option; ``L`` the linking rows' group columns): one sparse
matrix-vector product prices every group. After each round, groups at 0 MW with ``rc_g > PRUNE_TOL``
(out of the money) leave the LP's working set (upper bound 0: the basis stays valid), and groups
outside it with ``rc_g < -PRICE_TOL`` (in the money) come back (for good). The loop stops only when
no row is violated *and* no group outside the set is in the money: the LP's optimum is then optimal
for the full LP (every other column has a non-negative reduced cost), so the exact termination is
unchanged. Off by default: on the benchmark books the rounds it adds cost more than the free
columns it saves (docs/benchmarks/clearing.md).

Each round's LP is a relaxation of the full LP, so its optimum is an upper bound on the full optimum;
at termination it is also feasible for the full LP (checked on every row), hence optimal for it, with
the same objective. Prices come from the duals of the active rows (inactive rows are slack, dual 0).
Rows are never deleted (that would lose the basis and could cycle).

Determinism: identical products are merged and ordered canonically (:mod:`feasibility.groups`), rows
are chosen by (violation, index) and HiGHS runs single-threaded with a fixed seed, so the same inputs
give the same answer bit for bit whatever their order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from feasibility.formulation import (
    build_layout,
    constraint_rows,
    group_row_coefficients,
    linking_rows,
)
from feasibility.grid import BASE_CASE, AngleGrid, Grid, row_limits
from feasibility.groups import group_products
from feasibility.highs_lp import HighsLp, LpStatus
from feasibility.prices import prices_from_sensitivities
from feasibility.problem import ClearingProblem
from feasibility.progress import Phase, ProgressCallback, ProgressEvent, peak_memory_mib
from feasibility.result import (
    ClearingOptions,
    ClearingResult,
    Formulation,
    LpRows,
    Status,
    Strategy,
    Termination,
)
from feasibility.separation import ActiveRows, Violations, find_violations, point_injection, select_rows
from market_terms import BindingConstraint, FloatArray, IntArray

LOG = logging.getLogger(__name__)

DEVEX_ROW_SHARE = 0.02
"""A round that adds fewer rows than this share of the LP's rows is priced with Devex weights.

Measured on case_ACTIVSg10k (100k bids, N-1, ~22k LP rows): recomputing the steepest-edge weights after
rows are added costs 6-10 s, the price of ~1,500 pivots; steepest edge needs ~40% fewer pivots than
Devex, which repays that only in rounds of thousands of pivots (those that add ~1,000+ rows)."""

INTERIOR_ROW_SHARE = 0.1
"""A round that adds at least this share of the constraint rows already in the LP (not the first round
with rows) is solved from scratch by the interior point method with crossover instead of the dual
simplex from the previous basis, on LPs of at least :data:`INTERIOR_MIN_COLUMNS` columns.

Measured on case_ACTIVSg10k, full N-1: such rounds move the optimum far. At 100k bids rounds 3-5 (2,000,
2,000 and 888 rows added to 2,000-6,000) took 4,571, 6,341 and 4,315 dual simplex pivots at 5-10 ms
each (33, 41 and 39 s); IPX solves the same LPs in 14, 20 and 19 s whatever the start (its cost follows
the rows, not the distance travelled). Rounds adding a few percent of rows take hundreds to ~2,000
pivots: the warm simplex wins there, as it does on the first constrained round (it starts from the
known optimum without rows) and on LPs with few bid columns (10k bids: 354 pivots, 2.9 s vs IPX 4.3 s).
"""

INTERIOR_MIN_COLUMNS = 40_000
"""LP columns (bid groups, points, angles) below which every round is left to the dual simplex."""

PRICE_TOL = 1e-7
"""$/MW: a group outside the working set with a reduced cost below ``-PRICE_TOL`` enters it."""

PRUNE_TOL = 1e-6
"""$/MW: a group at 0 MW priced more than this above its value leaves the working set."""

SHADOW_PRICE_TOL = 1e-9
"""$/MW: a row with a shadow price above this is reported as binding."""


@dataclass
class _ActiveRows:
    """The constraint rows in the LP, in the order they were added (mutable, private to one solve)."""

    cons: list[IntArray] = field(default_factory=list)
    case: list[IntArray] = field(default_factory=list)
    direction: list[IntArray] = field(default_factory=list)
    sens: list[FloatArray] = field(default_factory=list)
    rhs: list[FloatArray] = field(default_factory=list)

    def stacked(self, n_points: int) -> tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]:
        if not self.cons:
            e = np.zeros(0, dtype=np.int64)
            return e, e, e, np.zeros((0, n_points)), np.zeros(0)
        return (
            np.concatenate(self.cons),
            np.concatenate(self.case),
            np.concatenate(self.direction),
            np.vstack(self.sens),
            np.concatenate(self.rhs),
        )

    def keys(self) -> tuple[IntArray, IntArray, IntArray]:
        """(constraint, case, direction) of every row, without stacking the sensitivities."""
        if not self.cons:
            e = np.zeros(0, dtype=np.int64)
            return e, e, e
        return np.concatenate(self.cons), np.concatenate(self.case), np.concatenate(self.direction)

    @property
    def count(self) -> int:
        return sum(len(c) for c in self.cons)


def _all_rows(grid: Grid) -> tuple[IntArray, IntArray, IntArray]:
    n_cons = len(grid.constraint_ids)
    n_cases = 1 + len(grid.contingency_ids)
    cons = np.tile(np.arange(n_cons, dtype=np.int64), 2 * n_cases)
    case = np.repeat(np.arange(n_cases, dtype=np.int64) - 1, n_cons)
    case = np.concatenate([case, case])
    direction = np.repeat(np.array([1, -1], dtype=np.int64), n_cons * n_cases)
    return cons, case, direction


_STATUS = {
    LpStatus.INFEASIBLE: Status.INFEASIBLE,
    LpStatus.TIME_LIMIT: Status.TIME_LIMIT,
}


def solve(
    problem: ClearingProblem,
    grid: Grid,
    options: ClearingOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    t_start: float | None = None,
    start_rows: tuple[IntArray, IntArray, IntArray] | None = None,
) -> ClearingResult:
    """Clear ``problem`` on ``grid``: maximal surplus awards, prices and binding rows (see module doc).

    ``progress`` receives a ``build`` event and one ``round`` event per round
    (:mod:`feasibility.progress`); ``t_start`` (``time.perf_counter()``) is when the clearing began,
    for the events' elapsed time (default: now).

    ``start_rows``: (constraint index, case index (-1 base), direction) of rows to put in the LP
    before the first round, a warm start from rows known to bind (the other period class of the month,
    an earlier clearing of the network). Every row is a row of the full LP, so the optimum is the same;
    only the rounds needed to find them are saved. Duplicates are dropped.
    """
    solver = _RowGeneration(problem, grid, options or ClearingOptions(), progress, t_start)
    if start_rows is not None and start_rows[0].size:
        solver.add_rows(*_unique_rows(*start_rows))
    return solver.run()


def _unique_rows(cons: IntArray, case: IntArray, direction: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    keys = np.unique(np.stack([cons, case, direction], axis=1).astype(np.int64), axis=0)
    return keys[:, 0].copy(), keys[:, 1].copy(), keys[:, 2].copy()


class _RowGeneration:
    """The state of one solve: the LP, the rows in it, the last awards and the clock (private)."""

    def __init__(
        self,
        problem: ClearingProblem,
        grid: Grid,
        opts: ClearingOptions,
        progress: ProgressCallback | None,
        t_start: float | None,
    ) -> None:
        self.t_start = time.perf_counter()
        self.t_origin = self.t_start if t_start is None else t_start
        self.progress = progress
        self.problem = problem
        self.grid = grid
        self.opts = opts
        self.timings = {"build_s": 0.0, "lp_s": 0.0, "flows_s": 0.0, "rows_s": 0.0}
        self.groups = group_products(problem.products)
        self.points_matrix = grid.injection_matrix(problem.points)
        self.angle_grid: AngleGrid | None = None
        self.interior = False
        balance = None
        n_theta = 0
        if opts.formulation is Formulation.ANGLE and isinstance(grid, AngleGrid):
            self.angle_grid = grid
            b_r, branch_flow, reduced = grid.angle_system()
            self.branch_flow: sp.csr_matrix | None = branch_flow
            balance = (b_r, sp.csr_matrix(self.points_matrix)[reduced])
            n_theta = b_r.shape[0]
        else:
            self.branch_flow = None
        formulation = opts.formulation if self.angle_grid is not None else _without_angles(opts.formulation)
        self.layout = build_layout(self.groups, formulation, n_theta)
        self.lp = HighsLp(tolerance=opts.highs_tol, time_limit_s=opts.time_limit_s)
        self.active = _ActiveRows()
        self.iterations = 0
        self.status = Status.OPTIMAL
        self.reason = Termination.NO_VIOLATION
        self.termination = ""
        self.group_mw = np.zeros(len(self.groups))
        self.max_violation = 0.0
        self._build_columns(balance)
        n_g = len(self.groups)
        self.pricing = bool(opts.price_columns and formulation is not Formulation.DENSE and n_g)
        self.in_set = np.ones(n_g, dtype=bool)
        self.sticky = np.zeros(n_g, dtype=bool)
        self.timings["pricing_s"] = 0.0
        self.timings["build_s"] = time.perf_counter() - self.t_start
        self._emit(Phase.BUILD, 0, 0, 0.0)

    def _emit(self, phase: Phase, rows_added: int, violations: int, objective: float) -> None:
        if self.progress is None:
            return
        self.progress(
            ProgressEvent(
                phase=phase,
                round=self.iterations,
                rows_in_lp=self.active.count,
                rows_added=rows_added,
                bids_priced_in=int(np.count_nonzero(self.in_set)),
                violations=violations,
                objective=objective,
                elapsed_s=time.perf_counter() - self.t_origin,
                peak_memory_mib=peak_memory_mib(),
            )
        )

    def _build_columns(self, balance: tuple[sp.csr_matrix, sp.csr_matrix] | None) -> None:
        groups, layout, lp = self.groups, self.layout, self.lp
        n_g = len(groups)
        n_z = len(layout.z_points)
        n_q = len(layout.option_path_src)
        extra = layout.n_columns - n_g
        # an option path variable is the MW bought less the MW sold on it: free where something is sold
        path_lower = np.zeros(n_q)
        path_lower[layout.option_path_of_group[groups.is_sale]] = -np.inf  # sales are options
        lp.add_columns(
            np.concatenate([-groups.value, np.zeros(extra)]),
            np.concatenate(
                [np.zeros(n_g), np.full(n_z, -np.inf), path_lower, np.full(layout.n_theta, -np.inf)]
            )[: layout.n_columns],
            np.concatenate([groups.mw_max, np.full(extra, np.inf)]),
        )
        link = linking_rows(layout, groups, balance)
        lp.add_rows(link, np.zeros(link.shape[0]), np.zeros(link.shape[0]))
        self.n_link = link.shape[0]
        self.link_groups_t = sp.csr_matrix(sp.csc_matrix(link)[:, :n_g].T)
        # The optimum without constraint rows is known: every group at its bound by the sign of its value,
        # the point, path and angle variables basic (the linking rows are block triangular in them, with
        # the nonsingular B_r as last block). Starting there saves the simplex thousands of pivots.
        at_upper = np.concatenate([groups.value > 0, np.zeros(extra, dtype=bool)])
        basic = np.concatenate([np.zeros(n_g, dtype=bool), np.ones(extra, dtype=bool)])
        if lp.n_cols:
            lp.set_start_basis(at_upper, basic)

    def add_rows(self, cons: IntArray, case: IntArray, direction: IntArray) -> None:
        """Compute the rows' point sensitivities and append ``coeffs x <= L - d (F + loop)``."""
        t = time.perf_counter()
        grid, problem = self.grid, self.problem
        theta = use_theta = None
        if self.layout.formulation is Formulation.ANGLE and self.angle_grid is not None:
            assert self.branch_flow is not None
            sens, weights, islanding = self.angle_grid.sensitivities_and_weights(
                cons, case, self.points_matrix
            )
            theta = sp.csr_matrix(weights @ self.branch_flow)
            use_theta = ~islanding
        else:
            sens = grid.sensitivities(cons, case, self.points_matrix)
        fixed = sens @ problem.fixed_point_injection() + grid.loop_flow_mw[cons]
        rhs = (
            row_limits(grid, cons, case)
            - direction * fixed
            - problem.fixed.option_adverse_mw(sens, direction)
        )
        matrix = constraint_rows(
            self.layout, self.groups, sens, direction, self.opts.drop_tol, theta, use_theta
        )
        self.lp.add_rows(matrix, np.full(len(cons), -np.inf), rhs)
        self.active.cons.append(cons)
        self.active.case.append(case)
        self.active.direction.append(direction)
        self.active.sens.append(sens)
        self.active.rhs.append(rhs)
        self.timings["rows_s"] += time.perf_counter() - t

    def _solve_lp(self, added: int) -> bool:
        """One LP round; False (status and termination set) if the solver did not end optimal."""
        lp, opts = self.lp, self.opts
        t = time.perf_counter()
        earlier = self.active.count - added  # constraint rows the previous round's LP had
        self.interior = bool(
            opts.interior_rounds
            and earlier > 0
            and added >= INTERIOR_ROW_SHARE * earlier
            and lp.n_cols >= INTERIOR_MIN_COLUMNS
        )
        lp_status = (
            lp.solve(devex=added < DEVEX_ROW_SHARE * lp.n_rows, interior=self.interior)
            if lp.n_cols
            else LpStatus.OPTIMAL
        )
        self.timings["lp_s"] += time.perf_counter() - t
        self.iterations += 1
        if lp_status is not LpStatus.OPTIMAL:
            self.status = _STATUS.get(lp_status, Status.SOLVER_ERROR)
            self.reason = Termination.SOLVER
            self.termination = f"HiGHS model status: {lp.status_text}"
            return False
        n_g = len(self.groups)
        self.group_mw = np.clip(lp.column_values()[:n_g], 0.0, self.groups.mw_max) if n_g else np.zeros(0)
        return True

    def _price_columns(self) -> int:
        """Price every group against the round's duals; move groups in and out of the working set.

        Returns how many groups entered (0: no group outside the set is in the money).
        """
        if not self.pricing:
            return 0
        t = time.perf_counter()
        y = self.lp.row_duals()[: self.n_link]
        rc = -self.groups.value - self.link_groups_t @ y  # = price_g - value_g ($/MW)
        enter = np.flatnonzero(~self.in_set & (rc < -PRICE_TOL))
        # without constraint rows every price is 0: nothing is learnt about which groups stay out
        prune = self.active.count > 0
        leave = np.flatnonzero(self.in_set & ~self.sticky & (self.group_mw <= 0.0) & (rc > PRUNE_TOL) & prune)
        if enter.size:
            self.lp.set_column_upper(enter, self.groups.mw_max[enter])
            self.in_set[enter] = True
            self.sticky[enter] = True
        if leave.size:
            self.lp.set_column_upper(leave, np.zeros(leave.size))
            self.in_set[leave] = False
        self.timings["pricing_s"] += time.perf_counter() - t
        return int(enter.size)

    def _violations(self) -> Violations:
        t = time.perf_counter()
        act_cons, act_case, act_dir = self.active.keys()
        viol = find_violations(
            self.grid,
            self.problem,
            self.groups,
            self.points_matrix,
            self.group_mw,
            self.opts.feasibility_tol_mw,
            ActiveRows(act_cons, act_case, act_dir),
        )
        self.timings["flows_s"] += time.perf_counter() - t
        self.max_violation = viol.max_violation_mw
        return viol

    def _within_limits(self, viol: Violations) -> bool:
        """False (and stopped) if the round or time limit is reached with work left."""
        opts = self.opts
        if self.iterations >= opts.max_iterations:
            self._stop(
                Status.ITERATION_LIMIT,
                Termination.ITERATION_LIMIT,
                f"{self.iterations} rounds, {viol.amount_mw.size} rows still violated",
            )
            return False
        if time.perf_counter() - self.t_start > opts.time_limit_s:
            self._stop(
                Status.TIME_LIMIT,
                Termination.TIME_LIMIT,
                f"time limit {opts.time_limit_s} s reached after {self.iterations} rounds",
            )
            return False
        return True

    def _stop(self, status: Status, reason: Termination, text: str) -> None:
        self.status, self.reason, self.termination = status, reason, text

    def run(self) -> ClearingResult:
        """Rounds of LP and separation until no row is violated or a limit is hit (module doc)."""
        opts = self.opts
        if opts.strategy is Strategy.FULL:
            self.add_rows(*_all_rows(self.grid))
        added = self.lp.n_rows
        while self._solve_lp(added):
            viol = self._violations()
            LOG.info(
                "round %d: %d rows in LP, %s, %d violated (max %.3g MW); "
                "lp %.2f s, flows %.2f s, rows %.2f s",
                self.iterations,
                self.active.count,
                "interior point + crossover"
                if self.interior
                else f"{self.lp.simplex_iterations()} simplex pivots",
                viol.n_violated,
                self.max_violation,
                self.timings["lp_s"],
                self.timings["flows_s"],
                self.timings["rows_s"],
            )
            pick = select_rows(viol, opts.max_rows_per_iteration)
            entered = self._price_columns()
            self._emit(Phase.ROUND, int(pick.size), viol.n_violated, float(self.groups.value @ self.group_mw))
            if entered and (viol.n_violated == 0 or pick.size == 0):
                added = 0  # only columns enter: a warm re-solve
                if not self._within_limits(viol):
                    break
                continue
            if viol.n_violated == 0:
                self._stop(
                    Status.OPTIMAL,
                    Termination.NO_VIOLATION,
                    f"no row violated by more than {opts.feasibility_tol_mw} MW",
                )
                break
            if pick.size == 0:
                self._stop(
                    Status.OPTIMAL,
                    Termination.ACTIVE_ROWS_ONLY,
                    f"only rows already in the LP are violated (max {self.max_violation:.3g} MW)",
                )
                break
            if not self._within_limits(viol):
                break
            added = pick.size
            self.add_rows(viol.constraint_idx[pick], viol.case_idx[pick], viol.direction[pick])
        return self._result()

    def _result(self) -> ClearingResult:
        problem, grid, groups, lp, opts = self.problem, self.grid, self.groups, self.lp, self.opts
        group_mw, status, timings = self.group_mw, self.status, self.timings
        k = len(problem.points)
        cons, case, d, sens, rhs = self.active.stacked(k)
        solved = status is Status.OPTIMAL
        mu = np.maximum(-lp.row_duals()[self.n_link :], 0.0) if solved and lp.n_rows else np.zeros(len(cons))
        point_prices = prices_from_sensitivities(sens, mu, d)
        # obligations: price[sink] - price[source]; options: sum_r mu_r max(0, d_r s_rg), only their columns
        group_prices = point_prices[groups.sink] - point_prices[groups.source]
        opt_groups = np.flatnonzero(groups.is_option)
        opt_coeffs = np.zeros((len(cons), opt_groups.size))
        if opt_groups.size and len(cons):
            opt_coeffs = group_row_coefficients(groups, sens, d, opt_groups)
            group_prices[opt_groups] = mu @ opt_coeffs
        product_mw = (
            groups.split_pro_rata(group_mw, problem.products) if solved else np.zeros(len(problem.products))
        )
        if not solved:
            group_mw = np.zeros(len(groups))
        surplus = float(groups.value @ group_mw)
        revenue = float(group_prices @ group_mw)
        binding_idx = np.flatnonzero(mu > SHADOW_PRICE_TOL)
        u_total = point_injection(problem, groups, group_mw)
        u_fixed = problem.fixed_point_injection()
        loop = grid.loop_flow_mw
        # base-model options: their adverse MW on each binding row, in the row's direction
        fixed_adverse = problem.fixed.option_adverse_mw(sens[binding_idx], d[binding_idx])
        binding = []
        for j, i in enumerate(binding_idx):
            c, kase = int(cons[i]), int(case[i])
            lim = float(grid.limit_normal_mw[c] if kase == BASE_CASE else grid.limit_emergency_mw[c])
            own_flow = float(sens[i] @ u_total + loop[c])
            option_part = float(opt_coeffs[i] @ group_mw[opt_groups]) if opt_groups.size else 0.0
            held_part = float(fixed_adverse[j])
            binding.append(
                BindingConstraint(
                    constraint_id=grid.constraint_ids[c],
                    contingency_id=None if kase == BASE_CASE else grid.contingency_ids[kase],
                    direction=int(d[i]),
                    flow_mw=own_flow + int(d[i]) * (option_part + held_part),
                    limit_mw=lim,
                    fixed_flow_mw=float(sens[i] @ u_fixed + loop[c]) + int(d[i]) * held_part,
                    shadow_price=float(mu[i]),
                )
            )
        timings["total_s"] = time.perf_counter() - self.t_start
        solver = {
            "name": lp.version,
            "settings": dict(lp.settings),
            "options": opts.as_dict(),
            "work": {
                "simplex_pivots": lp.simplex_pivots,
                "interior_runs": lp.interior_runs,
                "ipm_iterations": lp.ipm_iterations,
                "interior_fallbacks": lp.interior_fallbacks,
                "bid_groups": len(groups),
                "bid_groups_in_lp_at_end": int(np.count_nonzero(self.in_set)),
                "bid_groups_priced_back_in": int(np.count_nonzero(self.sticky)),
            },
        }
        return ClearingResult(
            status=status,
            termination=self.termination,
            termination_reason=self.reason,
            product_mw=product_mw,
            group_of_product=groups.group_of_product,
            point_prices=point_prices,
            product_prices=group_prices[groups.group_of_product] if len(groups) else np.zeros(0),
            binding=tuple(binding),
            surplus=surplus,
            revenue=revenue,
            revenue_from_constraints=float(mu @ rhs) if len(cons) else 0.0,
            max_violation_mw=self.max_violation,
            iterations=self.iterations,
            active_rows=len(cons),
            lp_columns=lp.n_cols,
            lp_nonzeros=lp.nonzeros(),
            timings_s=timings,
            solver=solver,
            binding_rows=tuple((int(cons[i]), int(case[i]), int(d[i])) for i in binding_idx),
            lp_rows=LpRows(cons, case, d, sens, rhs),
        )


def _without_angles(formulation: Formulation) -> Formulation:
    """A grid without its DC equations (not an :class:`AngleGrid`) writes ANGLE rows as NODAL ones."""
    return Formulation.NODAL if formulation is Formulation.ANGLE else formulation
