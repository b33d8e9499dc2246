"""Where each bus is drawn on the grid picture: a layout computed from the topology, once per version.

The network models the service stores carry no bus coordinates, so the layout is computed: the
spectral layout (the Laplacian's second and third eigenvectors; connected buses land near each
other), refined by a force-directed pass (Fruchterman-Reingold, fixed iteration count, no
randomness, so the same network is always drawn the same). Each network version is immutable, so
its layout is kept per version id in a small in-process cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import eigsh

from network.model import Network

DENSE_EIGEN_MAX_BUSES = 800
FORCE_MAX_BUSES = 800
FORCE_ITERATIONS = 80
CACHE_VERSIONS = 16

_cache: OrderedDict[int, tuple[Network, np.ndarray]] = OrderedDict()
_lock = threading.Lock()


def _adjacency(network: Network) -> sp.csr_matrix:
    n = len(network.bus_ids)
    a, b = np.asarray(network.branch_from), np.asarray(network.branch_to)
    keep = a != b
    rows, cols = np.concatenate([a[keep], b[keep]]), np.concatenate([b[keep], a[keep]])
    adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0  # parallel branches: one edge
    return adj


def _spectral(adj: sp.csr_matrix) -> np.ndarray:
    """The spectral layout of one connected graph (the Laplacian's second and third eigenvectors)."""
    n = adj.shape[0]
    if n <= 3:  # too few eigenvectors: a line
        return np.column_stack([np.linspace(-1.0, 1.0, n), np.zeros(n)]) if n > 1 else np.zeros((1, 2))
    degree = np.asarray(adj.sum(axis=1)).ravel()
    laplacian = sp.diags(degree) - adj
    if n <= DENSE_EIGEN_MAX_BUSES:
        _, vectors = np.linalg.eigh(laplacian.toarray())
    else:
        values, vectors = eigsh(laplacian.tocsc(), k=3, sigma=-1e-3, which="LM")
        vectors = vectors[:, np.argsort(values)]
    xy = vectors[:, 1:3].copy()
    for k in range(2):  # an eigenvector's sign is arbitrary: fix it
        if xy[np.argmax(np.abs(xy[:, k])), k] < 0:
            xy[:, k] = -xy[:, k]
    return xy


def _islands_side_by_side(adj: sp.csr_matrix) -> np.ndarray:
    """Each island's own spectral layout, the islands side by side on a grid of unit cells.

    Each island is laid out alone: on the whole graph the Laplacian's null space holds one vector per
    island, so its first eigenvectors would put every island on a single point."""
    count, labels = connected_components(adj, directed=False)
    if count == 1:
        return _spectral(adj)
    out = np.zeros((adj.shape[0], 2))
    columns = int(np.ceil(np.sqrt(count)))
    for c in range(count):
        members = np.flatnonzero(labels == c)
        part = _spectral(adj[members][:, members])
        part = part - part.mean(axis=0)
        scale = np.abs(part).max() or 1.0
        out[members] = part / scale * 0.45 + np.array([c % columns, c // columns], dtype=float)
    return out


def _force(adj: sp.csr_matrix, xy: np.ndarray) -> np.ndarray:
    """Fruchterman-Reingold from ``xy`` (all pairs repel, neighbours attract), a fixed number of steps."""
    n = xy.shape[0]
    pos = (xy - xy.min(axis=0)) / (np.ptp(xy, axis=0) + 1e-12)
    k = np.sqrt(1.0 / n)
    coo = sp.triu(adj, k=1).tocoo()
    ei, ej = coo.row, coo.col
    temperature = 0.1
    for _ in range(FORCE_ITERATIONS):
        delta = pos[:, None, :] - pos[None, :, :]
        dist2 = np.maximum((delta**2).sum(axis=2), 1e-6)
        disp = (delta * (k * k / dist2)[:, :, None]).sum(axis=1)
        d = pos[ei] - pos[ej]
        length = np.maximum(np.sqrt((d**2).sum(axis=1)), 1e-6)
        pull = d * (length / k)[:, None]
        np.add.at(disp, ei, -pull)
        np.add.at(disp, ej, pull)
        size = np.maximum(np.sqrt((disp**2).sum(axis=1)), 1e-9)
        pos += disp / size[:, None] * np.minimum(size, temperature)[:, None]
        temperature *= 0.95
    return pos


def compute_layout(network: Network) -> np.ndarray:
    """``(buses, 2)`` positions in [0, 1] x [0, 1], in the order of ``network.bus_ids``."""
    n = len(network.bus_ids)
    if n == 1:
        return np.array([[0.5, 0.5]])
    adj = _adjacency(network)
    xy = _islands_side_by_side(adj)
    if n <= FORCE_MAX_BUSES:
        xy = _force(adj, xy)
    xy = xy - xy.min(axis=0)
    span = np.ptp(xy, axis=0)
    return np.asarray(xy / np.where(span > 0, span, 1.0))


def layout_of(version_id: int, load: Callable[[], Network]) -> tuple[Network, np.ndarray]:
    """Network version ``version_id`` (``load`` reads it) and its layout: computed on first use and
    kept, since a version never changes."""
    with _lock:
        found = _cache.get(version_id)
        if found is not None:
            _cache.move_to_end(version_id)
            return found
    network = load()
    computed = compute_layout(network)
    computed.setflags(write=False)
    with _lock:
        _cache[version_id] = (network, computed)
        while len(_cache) > CACHE_VERSIONS:
            _cache.popitem(last=False)
    return network, computed
