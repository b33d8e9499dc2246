"""Independent checks of a set of awards: exact flows on every row, and per-product row coefficients.

Used after the solve (the awards as rounded to 0.1 MW must still be feasible, OA 7.3.5(d)) and by
anyone who wants to verify a posted result: the flows come from the network on every monitored
constraint in every case, not from the LP.
"""

from __future__ import annotations

import numpy as np

from feasibility.formulation import group_row_coefficients
from feasibility.grid import Grid
from feasibility.groups import group_products
from feasibility.problem import ClearingProblem
from feasibility.separation import Violations, find_violations
from market_terms import FloatArray, IntArray


def check_awards(problem: ClearingProblem, grid: Grid, product_mw: FloatArray, tol_mw: float) -> Violations:
    """Rows over their limit by more than ``tol_mw`` with ``product_mw`` MW awarded (problem order)."""
    if product_mw.shape != (len(problem.products),):
        raise ValueError(f"awards have shape {product_mw.shape}, expected ({len(problem.products)},)")
    groups = group_products(problem.products)
    group_mw = np.bincount(groups.group_of_product, product_mw, minlength=len(groups)).astype(np.float64)
    points_matrix = grid.injection_matrix(problem.points)
    return find_violations(grid, problem, groups, points_matrix, group_mw, tol_mw)


def product_row_coefficients(
    problem: ClearingProblem, grid: Grid, constraint_idx: IntArray, case_idx: IntArray, direction: IntArray
) -> FloatArray:
    """MW each product puts on each row per MW awarded, in the row's direction (options: adverse part;
    a sold option releases it: negative)."""
    groups = group_products(problem.products)
    sens = grid.sensitivities(constraint_idx, case_idx, grid.injection_matrix(problem.points))
    coeffs = group_row_coefficients(groups, sens, direction)
    out: FloatArray = coeffs[:, groups.group_of_product]
    return out
