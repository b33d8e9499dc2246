"""Graph facts about the branch network: islands, bridges, and what an outage cuts off.

All functions take the bus count and the endpoints of the branches that are *closed*; parallel
branches are separate edges (a pair of parallel lines is never a bridge). Islanding is decided from
the topology alone, never from a threshold on an LODF denominator ``1 - h``: with negative
(series-compensated) reactances that denominator can be small or negative on branches that do not
island anything.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from market_terms import BoolArray, FloatArray, IntArray


def adjacency(n_buses: int, from_idx: IntArray, to_idx: IntArray) -> sp.csr_matrix:
    """Symmetric bus-bus adjacency (1 where at least one branch joins the buses)."""
    data = np.ones(len(from_idx), dtype=np.int8)
    a = sp.coo_matrix((data, (from_idx, to_idx)), shape=(n_buses, n_buses))
    return (a + a.T).tocsr()


def island_labels(n_buses: int, from_idx: IntArray, to_idx: IntArray) -> tuple[int, IntArray]:
    """Number of islands and the island label of every bus (isolated buses are islands of their own)."""
    n, labels = connected_components(adjacency(n_buses, from_idx, to_idx), directed=False)
    return int(n), labels.astype(np.int64)


def bridges(n_buses: int, from_idx: IntArray, to_idx: IntArray) -> BoolArray:
    """Mask of the branches whose opening splits an island (graph bridges).

    Iterative Tarjan low-link over an edge-indexed adjacency, so parallel branches are handled and the
    recursion depth does not depend on the network size. O(buses + branches).
    """
    n_edges = len(from_idx)
    is_bridge = np.zeros(n_edges, dtype=np.bool_)
    if n_edges == 0:
        return is_bridge
    ends = np.concatenate([from_idx, to_idx])
    other = np.concatenate([to_idx, from_idx])
    edge = np.concatenate([np.arange(n_edges), np.arange(n_edges)])
    order = np.argsort(ends, kind="stable")
    nbr = other[order].tolist()
    eid = edge[order].tolist()
    start = np.searchsorted(ends[order], np.arange(n_buses + 1)).tolist()
    disc = [-1] * n_buses
    low = [0] * n_buses
    time = 0
    for root in range(n_buses):
        if disc[root] != -1:
            continue
        disc[root] = low[root] = time
        time += 1
        # stack of (bus, edge id used to enter it, next adjacency position)
        stack = [(root, -1, start[root])]
        while stack:
            v, in_edge, pos = stack[-1]
            if pos < start[v + 1]:
                stack[-1] = (v, in_edge, pos + 1)
                w, e = nbr[pos], eid[pos]
                if e == in_edge:
                    continue
                if disc[w] == -1:
                    disc[w] = low[w] = time
                    time += 1
                    stack.append((w, e, start[w]))
                elif disc[w] < low[v]:
                    low[v] = disc[w]
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    if low[v] < low[parent]:
                        low[parent] = low[v]
                    if low[v] > disc[parent]:
                        is_bridge[in_edge] = True
    return is_bridge


def kept_island(labels: IntArray, eligible: BoolArray, reference: int) -> BoolArray:
    """Mask of the island a model keeps when the network splits (docs/rules.md, "Islands").

    The largest island by number of eligible buses; among islands of that size the reference bus's,
    else the one holding the lowest bus position. ``labels`` are island labels of every bus,
    ``eligible`` the buses that count (e.g. the energised ones).
    """
    live = np.flatnonzero(eligible)
    if len(live) == 0:
        return np.zeros(len(labels), dtype=np.bool_)
    counts = np.bincount(labels[live])
    largest = counts == counts.max()
    if eligible[reference] and largest[labels[reference]]:
        return (labels == labels[reference]) & eligible
    first = int(live[np.flatnonzero(largest[labels[live]])[0]])  # live is sorted: lowest position
    return (labels == labels[first]) & eligible


def island_reference(island: BoolArray, reference: int, capacity_mw: FloatArray) -> int:
    """The reference bus of a kept island: ``reference`` if inside, else the island's bus with the
    largest generation capacity (MW), ties (and an island without generation) by lowest position."""
    if island[reference]:
        return reference
    cap = np.where(island, np.nan_to_num(np.asarray(capacity_mw, dtype=np.float64)), -np.inf)
    return int(np.argmax(cap))  # first maximum: lowest position
