"""Identical bids share pro rata (OA 7.3.6(b)); awards are whole 0.1 MW steps (OA 7.3.5(d)).

Work is in integer tenths of a MW, so awards are exact multiples of 0.1 MW.

For a group of identical products (same path, hedge and price) cleared ``X`` MW in total:

1. the group's award is ``T = floor(X / 0.1)`` steps (rounded *down*; an LP value within 1e-7 MW
   below a step counts as that step);
2. member ``j`` who asked ``a_j`` steps gets ``floor(T a_j / A)`` steps, ``A = sum a_j``;
3. the ``R = T - sum_j floor(T a_j / A)`` steps left are placed one each on the members with the
   largest remainders ``T a_j / A - floor(T a_j / A)`` (largest remainder method), ties going to the
   member who asked more MW, then to the smaller id. No member gets more than it asked.

The split is exact pro rata whenever ``T a_j / A`` is a whole number of steps, as in docs/rules.md's
example (70 MW shared 50/20 between 100 and 40 MW asked).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from auction.bids import AWARD_STEP_MW
from market_terms import FloatArray, IntArray

_SNAP_STEPS = 1e-6
"""An LP total this close below a whole step (in steps) is taken as that step."""


def to_steps(mw: FloatArray) -> IntArray:
    """MW (multiples of 0.1) to integer steps."""
    out: IntArray = np.rint(np.asarray(mw, dtype=np.float64) / AWARD_STEP_MW).astype(np.int64)
    return out


def group_steps_down(group_mw: FloatArray) -> IntArray:
    """``floor(X / 0.1)`` per group, snapping values within 1e-6 steps below a whole step up to it."""
    out: IntArray = np.floor(np.maximum(group_mw, 0.0) / AWARD_STEP_MW + _SNAP_STEPS).astype(np.int64)
    return out


def split_steps(
    group_of_product: IntArray, asked_steps: IntArray, group_total_steps: IntArray, ids: Sequence[str]
) -> IntArray:
    """Each product's award in steps: its group's total split pro rata by largest remainder (module doc)."""
    n = len(group_of_product)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    n_groups = len(group_total_steps)
    asked_total = np.bincount(group_of_product, asked_steps, minlength=n_groups).astype(np.int64)
    total = np.minimum(np.maximum(group_total_steps, 0), asked_total)
    g = group_of_product
    # exact integer arithmetic: floor(T a / A) and the remainder T a mod A (compared as fractions of A)
    numer = total[g] * asked_steps
    denom = np.maximum(asked_total[g], 1)
    base = numer // denom
    remainder = numer - base * denom
    left = total - np.bincount(g, base, minlength=n_groups).astype(np.int64)
    # rank within group: larger remainder / A first (same A inside a group), then larger ask, then id
    id_rank = np.argsort(np.argsort(np.array(list(ids), dtype=str), kind="stable"), kind="stable")
    order = np.lexsort((id_rank, -asked_steps, -remainder, g))
    sorted_g = g[order]
    first = np.searchsorted(sorted_g, np.arange(n_groups))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first[sorted_g]
    out: IntArray = base + (rank < left[g]).astype(np.int64)
    return out
