"""Pricing points as weights over buses: a point's price is ``sum_i w_i * LMP_i`` (DOMAIN.md).

Every bus is a pricing point named by its bus id; the network's aggregated points (hubs, zones,
load aggregates, OA 5.2.3) are weighted sets of buses. Its congestion and energy components are
the same weighted sums of the bus components.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from network.model import Network


def all_point_ids(net: Network) -> tuple[str, ...]:
    """Every bus id, then every defined pricing point that is not also a bus id."""
    buses = set(net.bus_ids)
    return net.bus_ids + tuple(p.id for p in net.pricing_points if p.id not in buses)


def point_weights(net: Network, point_ids: Sequence[str]) -> sp.csr_matrix:
    """Sparse ``(len(point_ids), n_buses)`` matrix of bus weights; ``KeyError`` names an unknown point."""
    defined = {p.id: p for p in net.pricing_points}
    buses = set(net.bus_ids)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, pid in enumerate(point_ids):
        point = defined.get(pid)
        if point is not None:
            for bus, weight in zip(point.bus_ids, point.weights, strict=True):
                rows.append(r)
                cols.append(net.bus_index(bus))
                vals.append(float(weight))
        elif pid in buses:
            rows.append(r)
            cols.append(net.bus_index(pid))
            vals.append(1.0)
        else:
            raise KeyError(f"unknown pricing point {pid!r}: neither a bus nor a defined pricing point")
    return sp.csr_matrix(
        (np.array(vals), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(point_ids), net.n_buses),
    )
