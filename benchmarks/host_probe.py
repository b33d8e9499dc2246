"""A fixed LP timed before and after each benchmark run: the host's speed at that moment.

The machines these benchmarks run on are shared and their speed drifts (the same LP has taken 22.5 s
and 28.5 s half an hour apart at load ~1). Every run records the seconds this seeded LP takes with
HiGHS, one thread, so that runs made at different moments can be compared by that ratio, not by
their raw seconds. The LP (a network-flow-like problem with dense side rows, like the clearing LP)
is built from a fixed seed, so its work is the same on every run.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import scipy.sparse as sp

N_NODES = 2_000
N_ARCS = 20_000
N_SIDE = 250
SEED = 20261121


def probe_lp() -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(A, row_lower, row_upper, cost, col_upper) of the probe LP: maximise arc value subject to node
    balance (equalities) and dense-ish side rows (capacity limits), arcs in ``[0, col_upper]``."""
    rng = np.random.default_rng(SEED)
    tail = rng.integers(0, N_NODES, N_ARCS)
    head = (tail + rng.integers(1, N_NODES, N_ARCS)) % N_NODES
    arcs = np.arange(N_ARCS)
    balance = sp.csr_matrix(
        (
            np.concatenate([np.ones(N_ARCS), -np.ones(N_ARCS)]),
            (np.concatenate([tail, head]), np.concatenate([arcs, arcs])),
        ),
        shape=(N_NODES, N_ARCS),
    )
    per_row = N_ARCS // 50
    side = sp.csr_matrix(
        (
            rng.uniform(0.1, 1.0, N_SIDE * per_row),
            (np.repeat(np.arange(N_SIDE), per_row), rng.integers(0, N_ARCS, N_SIDE * per_row)),
        ),
        shape=(N_SIDE, N_ARCS),
    )
    a = sp.csr_matrix(sp.vstack([balance, side]).tocsr())
    supply = rng.uniform(-50.0, 50.0, N_NODES)
    supply -= supply.mean()
    row_lower = np.concatenate([np.full(N_NODES, -np.inf), np.full(N_SIDE, -np.inf)])
    row_upper = np.concatenate([np.abs(supply) + 20.0, rng.uniform(50.0, 200.0, N_SIDE)])
    cost = -rng.uniform(0.0, 10.0, N_ARCS)
    col_upper = rng.uniform(1.0, 100.0, N_ARCS)
    return a, row_lower, row_upper, cost, col_upper


def probe_seconds(repeats: int = 3) -> float:
    """Median seconds of ``repeats`` solves of the probe LP (HiGHS dual simplex, one thread, no presolve)."""
    lp = probe_lp()
    return float(np.median([_solve_seconds(*lp) for _ in range(repeats)]))


def _solve_seconds(
    a: sp.csr_matrix, lo: np.ndarray, up: np.ndarray, cost: np.ndarray, col_up: np.ndarray
) -> float:
    h = highspy.Highs()
    h.silent()
    for key, value in (("presolve", "off"), ("threads", 1), ("solver", "simplex"), ("random_seed", 0)):
        h.setOptionValue(key, value)
    inf = highspy.kHighsInf
    n = a.shape[1]
    h.addCols(
        n, cost, np.zeros(n), col_up, 0, np.zeros(n, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0)
    )
    h.addRows(
        a.shape[0],
        np.where(np.isfinite(lo), lo, -inf),
        np.where(np.isfinite(up), up, inf),
        a.nnz,
        a.indptr[:-1].astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(np.float64),
    )
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0


if __name__ == "__main__":
    print(f"{probe_seconds():.2f} s")
