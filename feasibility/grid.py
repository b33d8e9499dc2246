"""What the clearing LP needs from the network: the monitored constraint rows and their flows.

A *row* of the simultaneous feasibility test is a pair (monitored constraint ``c``, case ``k``) where
``k = -1`` is the base case (normal limit) and ``k >= 0`` a contingency (emergency limit), checked in
both directions ``d = +1`` (flow <= limit) and ``d = -1`` (-flow <= limit):

    d * (flow_ck(injection) + loop_c) <= limit_ck

Flows are in MW, positive in the constraint's own direction. ``loop_c`` is the loop flow (OA 7.3.6(a),
"estimated uncompensated parallel flows") and applies in the base case and after every contingency.

:class:`Grid` is the contract; :class:`feasibility.network_grid.NetworkGrid` implements it on top of
the ``network`` package and a dense implementation serves small test cases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from market_terms.arrays import FloatArray, IntArray

BASE_CASE = -1
"""The contingency index of the base case in a row key."""


class Grid(Protocol):
    """Sensitivities and flows of one auction period's topology (scheduled outages applied)."""

    @property
    def bus_ids(self) -> tuple[str, ...]: ...

    @property
    def constraint_ids(self) -> tuple[str, ...]: ...

    @property
    def contingency_ids(self) -> tuple[str, ...]: ...

    @property
    def limit_normal_mw(self) -> FloatArray: ...

    @property
    def limit_emergency_mw(self) -> FloatArray: ...

    @property
    def loop_flow_mw(self) -> FloatArray: ...

    def injection_matrix(self, point_ids: Sequence[str]) -> sp.csc_matrix:
        """``n_buses x k`` bus weights of each pricing point (a bus id is a point of weight 1)."""
        ...

    def case_flows(self, injection_mw: FloatArray) -> Iterator[tuple[int, FloatArray]]:
        """Constraint flows (MW, loop flow excluded) of a net bus injection, case by case in blocks.

        Yields ``(first case row, block)`` with ``block`` of shape ``(rows, n_cons)``; case row 0 is the
        base case and row ``1 + k`` contingency ``k``. Blocks come in order, cover every case once and
        are the same for every injection (so several calls can be walked in step).
        """
        ...

    def sensitivities(
        self, constraint_idx: IntArray, case_idx: IntArray, injections: sp.spmatrix
    ) -> FloatArray:
        """``d flow / d injection`` of rows ``(constraint_idx[i], case_idx[i])`` for each injection column.

        ``case_idx`` is :data:`BASE_CASE` for the base case. Returns ``(n_rows, n_columns)``.
        """
        ...


@runtime_checkable
class AngleGrid(Grid, Protocol):
    """A grid that also exposes its DC equations, for the sparse ``ANGLE`` formulation.

    ``angle_system()`` returns ``(B_r, Bf_r, reduced_buses)``: the reduced susceptance matrix
    (``n_red x n_red``) with ``B_r theta_r = p_r`` (MW injections at the non-reference energised buses),
    the branch flow matrix (``n_branches x n_red``) with ``f = Bf_r theta_r`` (MW), and the bus positions
    of the reduced order. ``row_branch_weights(constraint_idx, case_idx)`` returns ``W`` (rows x
    branches) with row flow ``= W f`` (contingency compensation included) and a mask of rows whose
    contingency islands buses (those are not linear in ``f`` of the intact network).
    ``sensitivities_and_weights`` returns both for the same rows, the weights computed once.
    """

    def angle_system(self) -> tuple[sp.csr_matrix, sp.csr_matrix, IntArray]: ...

    def row_branch_weights(
        self, constraint_idx: IntArray, case_idx: IntArray
    ) -> tuple[sp.csr_matrix, NDArray[np.bool_]]: ...

    def sensitivities_and_weights(
        self, constraint_idx: IntArray, case_idx: IntArray, injections: sp.spmatrix
    ) -> tuple[FloatArray, sp.csr_matrix, NDArray[np.bool_]]: ...


def row_limits(grid: Grid, constraint_idx: IntArray, case_idx: IntArray) -> FloatArray:
    """Limit of each row in MW: the normal rating in the base case, the emergency one otherwise."""
    return np.where(
        case_idx == BASE_CASE, grid.limit_normal_mw[constraint_idx], grid.limit_emergency_mw[constraint_idx]
    )
