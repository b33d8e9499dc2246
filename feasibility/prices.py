"""Clearing prices from shadow prices (OA 7.3.6(c), CAISO App. C).

With ``mu_r >= 0`` the shadow price of row r ($/MW of flow for the period), ``d_r`` its direction and
``S_rp`` the MW on the row per MW injected at point p (withdrawn at the reference bus):

    nodal price   pi_p = - sum_r mu_r d_r S_rp                    ($/MW, reference bus 0)
    path price    price(s -> t) = pi_t - pi_s = sum_r mu_r d_r (S_rs - S_rt)
    option price  sum_r mu_r max(0, d_r (S_rs - S_rt))  >= 0

A path that loads a binding constraint in its binding direction is worth the shadow price times its
flow on it; a counterflow path has a negative price (its buyer is paid). The breakdown of a path's
price is the list of its per-row terms ``mu_r d_r (S_rs - S_rt)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from feasibility.grid import Grid
from feasibility.network_grid import NetworkGrid
from feasibility.result import ClearingResult
from market_terms import BindingConstraint, FloatArray, IntArray


def prices_from_sensitivities(sens: FloatArray, mu: FloatArray, direction: IntArray) -> FloatArray:
    """``pi_p = - sum_r mu_r d_r S_rp`` for the columns of ``sens`` (n_rows x n_points)."""
    weights = mu * direction.astype(np.float64)
    out: FloatArray = -(weights @ sens) if sens.shape[0] else np.zeros(sens.shape[1])
    return out + 0.0  # no negative zeros in published prices


def _binding_arrays(result: ClearingResult) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    rows = result.binding_rows
    cons = np.array([r[0] for r in rows], dtype=np.int64)
    case = np.array([r[1] for r in rows], dtype=np.int64)
    d = np.array([r[2] for r in rows], dtype=np.int64)
    mu = np.array([b.shadow_price for b in result.binding], dtype=np.float64)
    return cons, case, d, mu


def _prices(grid: Grid, result: ClearingResult, injections: sp.csc_matrix) -> FloatArray:
    """``pi = - sum_r mu_r d_r S_r`` over the binding rows for the injection columns given."""
    cons, case, d, mu = _binding_arrays(result)
    if cons.size == 0:
        return np.zeros(injections.shape[1])
    if isinstance(grid, NetworkGrid):
        # one solve for the weighted sum of the rows, not one per binding row
        out: FloatArray = -grid.combined_sensitivities(cons, case, mu * d.astype(np.float64), injections)
        return out + 0.0  # no negative zeros in published prices
    sens = grid.sensitivities(cons, case, injections)
    return prices_from_sensitivities(sens, mu, d)


def nodal_prices(grid: Grid, result: ClearingResult, point_ids: Sequence[str]) -> FloatArray:
    """Nodal FTR price ($/MW) of any pricing points or buses, from the result's binding rows."""
    if not result.binding_rows:
        return np.zeros(len(point_ids))
    return _prices(grid, result, grid.injection_matrix(point_ids))


def bus_prices(grid: Grid, result: ClearingResult) -> FloatArray:
    """Nodal FTR price of every bus of the grid ($/MW, reference bus 0; cut-off buses substituted)."""
    if not result.binding_rows:
        return np.zeros(len(grid.bus_ids))
    # through the grid's injection matrix, so that a bus cut off by a scheduled outage takes the
    # price of the bus the network substitutes for it (CAISO App. A)
    return _prices(grid, result, grid.injection_matrix(grid.bus_ids))


@dataclass(frozen=True, slots=True)
class PriceTerm:
    """One binding row's share of a path price: ``shadow_price * direction * sensitivity`` ($/MW)."""

    constraint: BindingConstraint
    sensitivity: float
    """MW on the row (own direction) per MW transferred from source to sink"""
    contribution: float


def path_price_breakdown(grid: Grid, result: ClearingResult, source: str, sink: str) -> tuple[PriceTerm, ...]:
    """The terms of ``price(source -> sink)``, one per binding row; they add up to the path price."""
    cons, case, d, mu = _binding_arrays(result)
    if cons.size == 0:
        return ()
    sens = grid.sensitivities(cons, case, grid.injection_matrix([source, sink]))
    s = sens[:, 0] - sens[:, 1]
    return tuple(
        PriceTerm(constraint=b, sensitivity=float(s[i]), contribution=float(mu[i] * d[i] * s[i]))
        for i, b in enumerate(result.binding)
    )
