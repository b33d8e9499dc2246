"""The last 0.1 MW steps by a small integer program (OA 7.3.5(d), OA 7.3.6(b)).

After the greedy repair and add-back (:mod:`auction.award_feasibility`) every award is a whole number
of steps and feasible, but the greedy add-back takes steps back by value alone: a valuable step that
uses up a binding row's last MW can shut out two cheaper steps that would have fit together. The
choice of the last steps of the *free* groups (those the rounding moved: below their LP value or
fractional in the LP) is a small knapsack over the rows they can overload, solved exactly here:

    maximise   sum_g v_g 0.1 d_g
    subject to sum_g a_rg 0.1 d_g <= slack_r   for every row r the free groups can overload
               lo_g - t_g <= d_g <= hi_g - t_g, d_g integer,

with ``t_g`` the greedy's steps, ``a_rg`` MW per MW on row ``r`` and ``slack_r`` the row's MW left at
``t``. ``d = 0`` (the greedy answer) is feasible and is given to the solver as its start, so the answer
is never worse than the greedy's. A row is left out only when no choice in the box can overload it
(its slack covers the largest load the box can put on it), so the answer is feasible on every working
row; the caller confirms it on the full network.

Only programs of at most :data:`MAX_NONZEROS` coefficients are solved (the root of a larger
one costs minutes for little: see the constant). Deterministic: one thread, a fixed seed and a node
limit (no time limit), so the same rounding gives the same awards on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from auction.bids import AWARD_STEP_MW
from feasibility.highs_lp import quiet_highs
from market_terms import FloatArray, IntArray

NODE_LIMIT = 1
"""Branch-and-bound nodes at most: the root only (its cuts and heuristics find the answers measured;
more nodes took 2-8x longer for no further gain on the benchmark books). A deterministic limit."""

MAX_NONZEROS = 100_000
"""Coefficients at most in the program; above it the greedy answer stands. Measured on
case_ACTIVSg2000 N-1 (load 10): 10k bids, 170 free groups x 272 rows (29k coefficients), root 9 s,
+8.63 $; 50k bids, 375 x 639 (240k), root ~90 s for +0.13 $. A deterministic size limit, not a clock."""

ROW_MARGIN_MW = 1e-7
"""MW kept free on every row below its limit, over the solver's feasibility tolerance."""

_TINY = 1e-12
"""MW per step: coefficients below this are dropped (far below any tolerance over a few steps)."""


@dataclass(frozen=True, slots=True)
class Polish:
    """The outcome of :func:`polish_steps`."""

    change: IntArray
    """Steps to add to each free group (may be negative)."""
    gain: float
    """$ of surplus the change adds (>= 0)."""
    rows: int
    """Rows in the integer program."""
    nodes: int
    status: str


def polish_steps(
    value_per_step: FloatArray,
    cols: FloatArray,
    slack: FloatArray,
    lower: IntArray,
    upper: IntArray,
) -> Polish:
    """The best change ``d`` of the free groups' steps (module doc).

    ``value_per_step``: $ per step of each free group; ``cols``: MW per MW of each free group on each
    working row (groups x rows); ``slack``: MW left on each row; ``lower``/``upper``: the change's
    bounds in steps (``lower <= 0 <= upper``).
    """
    n = value_per_step.size
    zero = np.zeros(n, dtype=np.int64)
    if n == 0 or (slack.size == 0 and not np.any(upper > 0)):
        return Polish(zero, 0.0, 0, 0, "empty")
    step_cols = cols * AWARD_STEP_MW  # groups x rows, MW per step
    worst = np.maximum(step_cols * upper[:, None], step_cols * lower[:, None]).sum(axis=0)
    rows = np.flatnonzero(slack - ROW_MARGIN_MW < worst)
    a = step_cols[:, rows].T  # rows x groups
    a[np.abs(a) < _TINY] = 0.0
    m = sp.csr_matrix(a)
    if m.nnz > MAX_NONZEROS:
        return Polish(zero, 0.0, int(rows.size), 0, "too large")
    h = quiet_highs()
    for key, val in (
        ("threads", 1),
        ("random_seed", 0),
        ("mip_max_nodes", NODE_LIMIT),
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 1e-9),
        ("mip_feasibility_tolerance", 1e-9),
        ("primal_feasibility_tolerance", 1e-9),
    ):
        h.setOptionValue(key, val)
    h.addVars(n, lower.astype(np.float64), upper.astype(np.float64))
    idx = np.arange(n, dtype=np.int32)
    h.changeColsCost(n, idx, -value_per_step)
    h.changeColsIntegrality(n, idx, np.full(n, highspy.HighsVarType.kInteger))
    if rows.size:
        h.addRows(
            rows.size,
            np.full(rows.size, -highspy.kHighsInf),
            np.maximum(slack[rows] - ROW_MARGIN_MW, 0.0),  # d = 0 stays feasible
            m.nnz,
            m.indptr[:-1].astype(np.int32),
            m.indices.astype(np.int32),
            m.data,
        )
    start = highspy.HighsSolution()
    start.col_value = [0.0] * n
    start.value_valid = True
    h.setSolution(start)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    sol = np.asarray(h.getSolution().col_value)
    if sol.size != n or not np.all(np.isfinite(sol)):
        return Polish(zero, 0.0, int(rows.size), int(info.mip_node_count), status)
    d = np.clip(np.rint(sol), lower, upper).astype(np.int64)
    gain = float(value_per_step @ d)
    # the rounded answer must fit every row it could overload, else keep the greedy's
    if gain <= 0.0 or (rows.size and np.any(m @ d > np.maximum(slack[rows], 0.0))):
        return Polish(zero, 0.0, int(rows.size), int(info.mip_node_count), status)
    return Polish(d, gain, int(rows.size), int(info.mip_node_count), status)
