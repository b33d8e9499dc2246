"""Sparse LU of the reduced susceptance matrix with a fast many-right-hand-side solve.

SuperLU (``scipy.sparse.linalg.splu``) factorises ``B_r`` as ``Pr^T L U Pc^T``. Its own ``solve`` handles
one right-hand side well but is slow for thousands of columns (it works column by column). PTDF rows,
LODF columns and N-1 precomputation need exactly that, so the triangular solves are re-done here by
*level scheduling*: rows of ``L`` (resp. ``U``) are grouped into levels whose rows depend only on
earlier levels, and each level is one sparse-times-dense product over all right-hand sides at once.
The work is ``nnz(L + U) x columns`` multiply-adds in a few hundred vectorised steps (the levels are the
height of the elimination tree, 150-200 on a 10,000-bus grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from market_terms import FloatArray, IntArray

#: Below this many right-hand sides SuperLU's own solve is used.
MIN_LEVEL_COLUMNS = 8
#: Columns per level-scheduled pass (keeps the working set of one level in cache).
LEVEL_BLOCK_COLUMNS = 384


@dataclass(frozen=True)
class _Triangle:
    """A triangular factor renumbered so that each level is a contiguous block of rows.

    ``order[k]`` is the original row solved at step ``k``; ``bounds`` delimit the levels; ``off`` is the
    renumbered strictly-triangular part (CSR) and ``inv_diagonal`` the inverted diagonal.
    """

    order: IntArray
    levels: tuple[tuple[int, int, sp.csr_matrix | None], ...]
    inv_diagonal: FloatArray | None

    def solve_in_place(self, y: FloatArray) -> None:
        """Solve for ``y`` (rows in ``order``), overwriting the right-hand side held in ``y``."""
        invd = self.inv_diagonal
        for a, b, off in self.levels:
            if off is not None:
                y[a:b] -= off @ y
            if invd is not None:
                y[a:b] *= invd[a:b, None]


def _triangle(tri: Any, lower: bool) -> _Triangle:
    tri = sp.csr_matrix(tri)
    n = tri.shape[0]
    ip, ix = tri.indptr, tri.indices
    level = np.zeros(n, dtype=np.int64)
    steps = range(n) if lower else range(n - 1, -1, -1)
    for i in steps:
        cols = ix[ip[i] : ip[i + 1]]
        cols = cols[cols < i] if lower else cols[cols > i]
        if len(cols):
            level[i] = level[cols].max() + 1
    order = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[order], np.arange(level.max() + 2))
    diag = tri.diagonal()
    off = (tri - sp.diags(diag)).tocsr()
    off.eliminate_zeros()
    renumbered = off[order][:, order].tocsr()
    renumbered.sort_indices()
    ip = renumbered.indptr
    levels = tuple(
        (int(a), int(b), renumbered[a:b].tocsr() if ip[b] > ip[a] else None)
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    )
    unit = bool(np.all(diag == 1.0))
    return _Triangle(order, levels, None if unit else 1.0 / diag[order])


class SparseFactor:
    """``B_r^-1`` applied to dense right-hand sides (``(n,)`` or ``(n, k)``), exact to rounding."""

    def __init__(self, matrix: sp.csc_matrix) -> None:
        self._lu = splu(matrix, permc_spec="MMD_AT_PLUS_A")
        self.n = matrix.shape[0]
        self._plans: tuple[_Triangle, _Triangle, IntArray, IntArray, IntArray] | None = None

    @property
    def nnz(self) -> int:
        """Non-zeros of ``L + U``."""
        return int(self._lu.L.nnz + self._lu.U.nnz)

    def _plan(self) -> tuple[_Triangle, _Triangle, IntArray, IntArray, IntArray]:
        if self._plans is None:
            lower = _triangle(self._lu.L, lower=True)
            upper = _triangle(self._lu.U, lower=False)
            # B_r = Pr^T L U Pc^T: b enters L's level order through perm_r, leaves U's through perm_c
            inv_perm_r = np.argsort(self._lu.perm_r)
            into_lower = inv_perm_r[lower.order]
            inv_lower = np.argsort(lower.order)
            lower_to_upper = inv_lower[upper.order]
            out_of_upper = np.argsort(upper.order)[self._lu.perm_c]
            self._plans = (lower, upper, into_lower, lower_to_upper, out_of_upper)
        return self._plans

    @property
    def rhs_position(self) -> IntArray:
        """Row of natural index ``i`` in a right-hand side laid out for :meth:`solve_positioned`."""
        return np.argsort(self._plan()[2])

    @property
    def result_position(self) -> IntArray:
        """Row of natural index ``i`` in the result of :meth:`solve_positioned`."""
        return self._plan()[4]

    def solve_positioned(self, y: FloatArray) -> FloatArray:
        """Solve with the right-hand side already in :attr:`rhs_position` order (overwritten).

        The result is in :attr:`result_position` order: callers that build the right-hand side in place
        and read a few rows (or apply a column-permuted operator) skip two full-matrix gathers.
        """
        lower, upper, _, lower_to_upper, _ = self._plan()
        lower.solve_in_place(y)
        z = y[lower_to_upper]
        upper.solve_in_place(z)
        return z

    def solve(self, rhs: FloatArray) -> FloatArray:
        """``x = B_r^-1 rhs``; the input is not modified."""
        b = np.asarray(rhs, dtype=np.float64)
        if b.ndim == 1 or b.shape[1] < MIN_LEVEL_COLUMNS:
            return np.asarray(self._lu.solve(np.asfortranarray(b)))
        if b.shape[1] > LEVEL_BLOCK_COLUMNS:
            out = np.empty((self.n, b.shape[1]))
            for c in range(0, b.shape[1], LEVEL_BLOCK_COLUMNS):
                out[:, c : c + LEVEL_BLOCK_COLUMNS] = self.solve(b[:, c : c + LEVEL_BLOCK_COLUMNS])
            return out
        lower, upper, into_lower, lower_to_upper, out_of_upper = self._plan()
        y = b[into_lower]
        lower.solve_in_place(y)
        y = y[lower_to_upper]
        upper.solve_in_place(y)
        return y[out_of_upper]
