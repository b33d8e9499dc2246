"""A thin, typed wrapper over a ``highspy.Highs`` model grown row batch by row batch.

Pinned settings (recorded in every result): dual simplex (HiGHS's choice of edge weights, steepest
edge on our LPs, or Devex where the caller says so) or, for the runs the caller marks, the interior
point method with crossover; presolve off (a re-solve after adding rows starts from the previous
optimal basis; presolve would discard it), one thread and a fixed seed (bit-for-bit repeatable),
primal and dual feasibility tolerances ``highs_tol``.

Sign convention: we *minimise* ``-surplus``. HiGHS reports a row dual as ``d objective / d bound``;
for a ``<= limit`` row at its bound in a minimisation that is ``<= 0``, so the shadow price of the
limit in surplus terms is ``mu = -row_dual >= 0`` ($ per MW of limit). The 3-bus worked example pins it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import tempfile
import threading
from enum import StrEnum
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from market_terms import FloatArray

LOG = logging.getLogger(__name__)

_banner_logged = False
_banner_lock = threading.Lock()


def quiet_highs() -> highspy.Highs:
    """A ``Highs`` instance that prints nothing: its output is off (``output_flag`` false).

    HiGHS prints its banner on stdout (from C) when the process creates its first instance, before any
    option can be set: that one construction runs with file descriptor 1 on a temporary file and the
    banner goes to this module's logger instead. Every solver object of the project is made here (the
    clearing LP, the day-ahead simulator's OPF), so no command prints the banner, in the main process or
    in a worker process.
    """
    global _banner_logged
    with _banner_lock:
        if _banner_logged:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            libc = ctypes.CDLL(None)
            saved = os.dup(1)
            with tempfile.TemporaryFile() as tmp:
                os.dup2(tmp.fileno(), 1)
                try:
                    h = highspy.Highs()
                    libc.fflush(None)
                finally:
                    os.dup2(saved, 1)
                    os.close(saved)
                tmp.seek(0)
                banner = tmp.read().decode("utf-8", errors="replace")
            _banner_logged = True
            for line in banner.splitlines():
                if line.strip():
                    LOG.info("%s", line.strip())
    h.setOptionValue("output_flag", False)
    return h


def _new_highs() -> highspy.Highs:
    """A quiet ``Highs`` instance whose log goes to this module's logger (debug), never to the terminal."""
    h = quiet_highs()
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    h.cbLogging.subscribe(_log_line)
    return h


def _log_line(event: Any) -> None:
    text = str(getattr(event, "message", "")).rstrip()
    if text:
        LOG.debug("%s", text)


class LpStatus(StrEnum):
    """HiGHS's model status after a run, reduced to what the clearing acts on."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    OTHER = "other"
    """Anything else (unbounded, numerical trouble, ...): :attr:`HighsLp.status_text` says which."""


_LP_STATUS = {
    highspy.HighsModelStatus.kOptimal: LpStatus.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: LpStatus.INFEASIBLE,
    highspy.HighsModelStatus.kTimeLimit: LpStatus.TIME_LIMIT,
}


class HighsLp:
    """A minimisation LP with columns added once and rows added in batches."""

    def __init__(self, *, tolerance: float, time_limit_s: float) -> None:
        self._h = _new_highs()
        self.settings: dict[str, Any] = {
            "solver": "simplex",
            "simplex_strategy": 1,
            "presolve": "off",
            "threads": 1,
            "parallel": "off",
            "random_seed": 0,
            "primal_feasibility_tolerance": tolerance,
            "dual_feasibility_tolerance": tolerance,
            "time_limit": float(time_limit_s),
        }
        for key, value in self.settings.items():
            self._h.setOptionValue(key, value)
        self.settings["simplex_dual_edge_weight_strategy"] = "-1 (HiGHS chooses), 1 (Devex) where asked"
        self.settings["interior"] = "IPX with crossover, from scratch, for the runs the caller marks"
        self.n_cols = 0
        self.n_rows = 0
        self.simplex_pivots = 0
        self.interior_runs = 0
        self.interior_fallbacks = 0
        self.ipm_iterations = 0
        self.status_text = ""
        """HiGHS's own words for the model status of the last run."""

    @property
    def version(self) -> str:
        return f"HiGHS {self._h.version()} (highspy)"

    def add_columns(self, cost: FloatArray, lower: FloatArray, upper: FloatArray) -> None:
        n = len(cost)
        if n == 0:
            return
        inf = highspy.kHighsInf
        lo = np.where(np.isfinite(lower), lower, -inf).astype(np.float64)
        up = np.where(np.isfinite(upper), upper, inf).astype(np.float64)
        empty = np.zeros(0, dtype=np.int32)
        self._h.addCols(
            n,
            np.ascontiguousarray(cost, dtype=np.float64),
            lo,
            up,
            0,
            np.zeros(n, dtype=np.int32),
            empty,
            np.zeros(0, dtype=np.float64),
        )
        self.n_cols += n

    def add_rows(self, matrix: sp.csr_matrix, lower: FloatArray, upper: FloatArray) -> None:
        """Add ``lower <= matrix @ columns <= upper`` (infinite bounds allowed)."""
        n = matrix.shape[0]
        if n == 0:
            return
        if matrix.shape[1] != self.n_cols:
            raise ValueError(f"row batch has {matrix.shape[1]} columns, the LP has {self.n_cols}")
        inf = highspy.kHighsInf
        lo = np.where(np.isfinite(lower), lower, -inf).astype(np.float64)
        up = np.where(np.isfinite(upper), upper, inf).astype(np.float64)
        m = sp.csr_matrix(matrix)
        m.sort_indices()
        self._h.addRows(
            n,
            lo,
            up,
            int(m.nnz),
            m.indptr[:-1].astype(np.int32),
            m.indices.astype(np.int32),
            m.data.astype(np.float64),
        )
        self.n_rows += n

    def set_start_basis(self, at_upper: NDArray[np.bool_], basic_columns: NDArray[np.bool_]) -> None:
        """Install a starting basis: rows added so far nonbasic (equalities), the given columns basic,
        the others nonbasic at their upper bound where ``at_upper`` and at the lower one otherwise.

        The caller guarantees the basic columns form a nonsingular basis with the rows.
        """
        basis = highspy.HighsBasis()
        status = highspy.HighsBasisStatus
        cols = [
            status.kBasic if b else (status.kUpper if u else status.kLower)
            for u, b in zip(at_upper, basic_columns, strict=True)
        ]
        basis.col_status = cols
        basis.row_status = [status.kLower] * self.n_rows
        basis.valid = True
        self._h.setBasis(basis)

    def solve(self, *, devex: bool = False, interior: bool = False) -> LpStatus:
        """Run the solver; returns the model status (HiGHS's own words in :attr:`status_text`).

        ``devex``: price with Devex weights instead of dual steepest edge for this run. HiGHS drops its
        steepest-edge weights when rows are added and recomputes them at the next run that pivots (one
        BTRAN per row: seconds on a 20k-row LP), which a run of a few hundred pivots does not repay.

        ``interior``: solve this run from scratch with HiGHS's interior point method (IPX, one thread,
        deterministic) and its crossover to an optimal basis, which the next simplex run starts from.
        Should IPX or its crossover not end optimal with a valid basis, the run is repeated with the
        dual simplex from the basis the LP had before (so a hard LP costs time, never the answer).
        """
        self._h.setOptionValue("simplex_dual_edge_weight_strategy", 1 if devex else -1)
        if interior:
            before = self._h.getBasis()
            self._h.setOptionValue("solver", "ipx")
            self._h.setOptionValue("run_crossover", "on")
            self._h.run()
            self._h.setOptionValue("solver", "simplex")
            self.interior_runs += 1
            self.ipm_iterations += int(self._h.getInfo().ipm_iteration_count)
            status = self._h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal and self._h.getBasis().valid:
                return self._status(status)
            if status == highspy.HighsModelStatus.kTimeLimit:
                return self._status(status)
            self.interior_fallbacks += 1
            if before.valid:
                self._h.setBasis(before)
        self._h.run()
        self.simplex_pivots += int(self._h.getInfo().simplex_iteration_count)
        return self._status(self._h.getModelStatus())

    def _status(self, status: highspy.HighsModelStatus) -> LpStatus:
        self.status_text = str(self._h.modelStatusToString(status))
        return _LP_STATUS.get(status, LpStatus.OTHER)

    def set_column_upper(self, columns: NDArray[np.int64], upper: FloatArray) -> None:
        """Change the upper bounds of ``columns`` (lower bounds 0) keeping the basis."""
        n = int(columns.size)
        if n == 0:
            return
        self._h.changeColsBounds(
            n,
            np.ascontiguousarray(columns, dtype=np.int32),
            np.zeros(n, dtype=np.float64),
            np.ascontiguousarray(upper, dtype=np.float64),
        )

    def column_values(self) -> FloatArray:
        return np.array(self._h.getSolution().col_value, dtype=np.float64)

    def row_duals(self) -> FloatArray:
        return np.array(self._h.getSolution().row_dual, dtype=np.float64)

    def objective(self) -> float:
        return float(self._h.getInfo().objective_function_value)

    def simplex_iterations(self) -> int:
        return int(self._h.getInfo().simplex_iteration_count)

    def nonzeros(self) -> int:
        return int(self._h.getNumNz())
