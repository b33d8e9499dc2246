"""Keep the 0.1 MW awards simultaneously feasible (OA 7.3.5(d), OA 7.3.6(b)).

Rounding a group's award down (``auction.pro_rata``) lowers its flow on every row. That can only
overload a row on which the group was a *counterflow* (it relieved the row), and then by less than
0.1 MW times its sensitivity. The repair is a greedy, monotone loop on the exact network flows:

    while some row is over its limit by more than the tolerance:
        take the worst such row r;
        among groups with MW awarded that load r (coefficient a_g > 0), take the one that loses the
        least surplus per MW of relief, min v_g / a_g (ties: canonical group order);
        lower its award by the whole steps needed to clear the overload (at most its award),
        and share the new total pro rata again.

Awards only go down, so the loop ends; at zero awards only the base model is left, which the LP
found feasible. Every step is reported (the surplus it cost is in the auction summary).
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
from feasibility.problem import ClearingProblem, IntArray


@dataclass(frozen=True, slots=True)
class RepairStep:
    """One cut: ``product_ids`` of the group lowered by ``steps`` x 0.1 MW to relieve a row."""

    product_ids: tuple[str, ...]
    steps: int
    constraint_id: str
    contingency_id: str | None
    direction: int
    overload_mw: float


def repair_awards(
    problem: ClearingProblem,
    grid: Grid,
    group_of_product: IntArray,
    asked_steps: IntArray,
    group_steps: IntArray,
    tol_mw: float,
    *,
    max_steps: int = 10_000,
) -> tuple[IntArray, tuple[RepairStep, ...], float]:
    """Lower group totals until the awards are feasible; returns (steps per product, cuts, max violation)."""
    ids: Sequence[str] = problem.products.ids
    totals = group_steps.copy()
    awards = split_steps(group_of_product, asked_steps, totals, ids)
    cuts: list[RepairStep] = []
    for _ in range(max_steps):
        viol = check_awards(problem, grid, (awards * AWARD_STEP_MW).astype(np.float64), tol_mw)
        if viol.amount_mw.size == 0:
            return awards, tuple(cuts), viol.max_violation_mw
        c, k, d = viol.constraint_idx[:1], viol.case_idx[:1], viol.direction[:1]
        coeff = product_row_coefficients(problem, grid, c, k, d)[0]
        loads = (awards > 0) & (coeff > 1e-12)
        if not np.any(loads):
            return awards, tuple(cuts), viol.max_violation_mw
        cand = np.flatnonzero(loads)
        ratio = problem.products.value[cand] / coeff[cand]
        pick = int(cand[np.lexsort((group_of_product[cand], ratio))[0]])
        g = int(group_of_product[pick])
        need = math.ceil(float(viol.amount_mw[0]) / float(coeff[pick]) / AWARD_STEP_MW - 1e-9)
        cut = max(1, min(need, int(totals[g])))
        totals[g] -= cut
        awards = split_steps(group_of_product, asked_steps, totals, ids)
        members = tuple(ids[int(i)] for i in np.flatnonzero(group_of_product == g))
        cuts.append(
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
    return awards, tuple(cuts), viol.max_violation_mw
