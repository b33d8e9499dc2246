"""The clearing LP written plainly in Pyomo: the reference the fast path is checked against.

Every product is its own variable (no merging of identical bids), every row of the simultaneous
feasibility test is written (both directions, base case and every contingency) with its dense
coefficients, and nothing is generated lazily (OA 7.2.1, OA 7.3.6(b)):

    max  sum_j v_j x_j                                         ($)
    s.t. 0 <= x_j <= MW_j                                     (MW)
         sum_j a_rj x_j <= L_r - d_r (F_r + loop_c) - sum_h max(0, d_r s_rh) m_h   for every row
                                                                          r = (c, k, d_r)
         a_rj = d_r s_rj (obligation),  max(0, d_r s_rj) (option bought),
                -max(0, d_r s_rj) (held option sold),  s_rj = S_r,src(j) - S_r,snk(j)

(``F_r``: flow of the base-model obligations; ``m_h``: MW of each base-model option ``h``.)

Shadow prices ``mu_r >= 0`` are the duals of the rows in surplus terms; nodal prices
``pi_p = - sum_r mu_r d_r S_rp`` (:mod:`feasibility.prices`). The model can be written to an MPS or LP
file (:func:`export_model`) so that anyone can re-solve an auction with the solver of their choice.
Use it on small and medium cases only: it holds ``rows x products`` coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from feasibility.grid import BASE_CASE, Grid
from feasibility.prices import prices_from_sensitivities
from feasibility.problem import ClearingProblem
from market_terms import FloatArray, IntArray


@dataclass(frozen=True)
class ReferenceResult:
    """``optimal`` is False when the solver did not prove optimality (then the other fields are zero)."""

    optimal: bool
    termination: str
    surplus: float
    product_mw: FloatArray
    point_prices: FloatArray
    product_prices: FloatArray
    row_constraint: IntArray
    row_case: IntArray
    row_direction: IntArray
    row_shadow_price: FloatArray
    row_slack_mw: FloatArray


@dataclass(frozen=True)
class _Rows:
    cons: IntArray
    case: IntArray
    direction: IntArray
    sens: FloatArray
    rhs: FloatArray


def _rows(problem: ClearingProblem, grid: Grid) -> _Rows:
    n_cons = len(grid.constraint_ids)
    cases = [BASE_CASE, *range(len(grid.contingency_ids))]
    cons_l, case_l, dir_l = [], [], []
    for d in (1, -1):
        for k in cases:
            for c in range(n_cons):
                cons_l.append(c)
                case_l.append(k)
                dir_l.append(d)
    cons = np.array(cons_l, dtype=np.int64)
    case = np.array(case_l, dtype=np.int64)
    direction = np.array(dir_l, dtype=np.int64)
    sens = grid.sensitivities(cons, case, grid.injection_matrix(problem.points))
    fixed = sens @ problem.fixed_point_injection() + grid.loop_flow_mw[cons]
    # each base-model option, plainly: its adverse flow only, in the row's direction
    held_options = np.zeros(len(cons))
    ftrs = problem.fixed
    for h in np.flatnonzero(ftrs.is_option):
        path_flow = direction * (sens[:, ftrs.source[h]] - sens[:, ftrs.sink[h]])
        held_options += np.maximum(path_flow, 0.0) * ftrs.mw[h]
    limit = np.array(
        [
            grid.limit_normal_mw[c] if k == BASE_CASE else grid.limit_emergency_mw[c]
            for c, k in zip(cons, case, strict=True)
        ]
    )
    return _Rows(cons, case, direction, sens, limit - direction * fixed - held_options)


def build_model(problem: ClearingProblem, grid: Grid) -> pyo.ConcreteModel:
    """The full LP as a Pyomo model (``model.x[j]`` MW of product j, ``model.row[r]`` the rows)."""
    rows = _rows(problem, grid)
    prod = problem.products
    model = pyo.ConcreteModel(name="ftr_auction_clearing")
    model.J = pyo.RangeSet(0, len(prod) - 1)
    model.R = pyo.RangeSet(0, len(rows.cons) - 1)
    model.x = pyo.Var(model.J, bounds=lambda m, j: (0.0, float(prod.mw_max[j])))
    model.surplus = pyo.Objective(
        expr=sum(float(prod.value[j]) * model.x[j] for j in model.J), sense=pyo.maximize
    )

    def coefficient(r: int, j: int) -> float:
        s = float(rows.sens[r, prod.source[j]] - rows.sens[r, prod.sink[j]]) * int(rows.direction[r])
        if not prod.is_option[j]:
            return s
        return -max(s, 0.0) if prod.is_sale[j] else max(s, 0.0)

    def row_rule(m: pyo.ConcreteModel, r: int) -> object:
        terms = [(coefficient(r, j), j) for j in m.J]
        body = sum(a * m.x[j] for a, j in terms if a != 0.0)
        if isinstance(body, int):
            return pyo.Constraint.Feasible if rows.rhs[r] >= 0 else pyo.Constraint.Infeasible
        return body <= float(rows.rhs[r])

    model.row = pyo.Constraint(model.R, rule=row_rule)
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    model._rows = rows  # kept for reading the duals back
    return model


def solve_reference(problem: ClearingProblem, grid: Grid, solver: str = "appsi_highs") -> ReferenceResult:
    """Build and solve the full LP; read awards, shadow prices and nodal prices."""
    model = build_model(problem, grid)
    rows: _Rows = model._rows
    opt = pyo.SolverFactory(solver)
    res = opt.solve(model, load_solutions=False)
    term = str(res.solver.termination_condition)
    n = len(problem.products)
    if res.solver.termination_condition != pyo.TerminationCondition.optimal:
        z = np.zeros(0)
        return ReferenceResult(
            False,
            term,
            0.0,
            np.zeros(n),
            np.zeros(len(problem.points)),
            np.zeros(n),
            rows.cons,
            rows.case,
            rows.direction,
            z,
            z,
        )
    model.solutions.load_from(res)
    x = np.array([pyo.value(model.x[j]) for j in model.J]) if n else np.zeros(0)
    mu = np.zeros(len(rows.cons))
    slack = np.array(rows.rhs, dtype=np.float64)
    for r in model.R:
        con = model.row[r]
        if con.active:
            # Pyomo reports d(objective)/d(rhs) for the maximisation: the surplus value of a MW of limit.
            mu[r] = max(float(model.dual.get(con, 0.0)), 0.0)
            slack[r] = float(rows.rhs[r] - pyo.value(con.body))
    prices = prices_from_sensitivities(rows.sens, mu, rows.direction)
    prod = problem.products
    s = rows.direction[:, None] * (rows.sens[:, prod.source] - rows.sens[:, prod.sink])
    adverse = np.maximum(s, 0.0)
    coeff = np.where(prod.is_option[None, :], np.where(prod.is_sale[None, :], -adverse, adverse), s)
    return ReferenceResult(
        optimal=True,
        termination=term,
        surplus=float(pyo.value(model.surplus)) if n else 0.0,
        product_mw=x,
        point_prices=prices,
        product_prices=mu @ coeff,
        row_constraint=rows.cons,
        row_case=rows.case,
        row_direction=rows.direction,
        row_shadow_price=mu,
        row_slack_mw=slack,
    )


def export_model(problem: ClearingProblem, grid: Grid, path: str | Path) -> Path:
    """Write the full LP to ``path`` (``.mps`` or ``.lp``, chosen by the suffix) with readable names."""
    target = Path(path)
    if target.suffix not in (".mps", ".lp"):
        raise ValueError(f"{target}: export format must be .mps or .lp")
    model = build_model(problem, grid)
    model.write(str(target), io_options={"symbolic_solver_labels": True})
    return target
