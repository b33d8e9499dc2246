"""Pricing points of the market: a point's price is ``sum_i w_i * LMP_i`` (docs/rules.md).

Every bus is a pricing point named by its bus id; the network's aggregated points (hubs, zones,
load aggregates, OA 5.2.3) are weighted sets of buses, whose weights come from
``SensitivityModel.injection_matrix``. A point's congestion and energy components are the same
weighted sums of the bus components.
"""

from __future__ import annotations

from network.model import Network


def all_point_ids(net: Network) -> tuple[str, ...]:
    """Every bus id, then every defined pricing point that is not also a bus id."""
    buses = set(net.bus_ids)
    return net.bus_ids + tuple(p.id for p in net.pricing_points if p.id not in buses)
