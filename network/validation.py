"""Consistency checks of a :class:`~network.model.Network`, with errors naming the element and problem.

The loaders call :func:`validate_network` so that a network that loads can be factorised and priced.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from network.errors import InvalidElementError, UnknownElementError
from network.model import Network

#: Pricing-point weights must sum to 1 within this tolerance.
WEIGHT_SUM_TOL = 1e-6


def _first_duplicate(ids: tuple[str, ...]) -> str | None:
    dup = [k for k, n in Counter(ids).items() if n > 1]
    return dup[0] if dup else None


def validate_network(net: Network) -> Network:
    """Check ids, references between elements, reactances, ratings and point weights; return ``net``."""
    for what, ids in (("bus", net.bus_ids), ("branch", net.branch_ids)):
        dup = _first_duplicate(ids)
        if dup is not None:
            raise InvalidElementError(f"{what} id {dup!r} is used more than once")
    if net.reference_bus not in set(net.bus_ids):
        raise UnknownElementError(f"reference bus {net.reference_bus!r} is not a bus of network {net.name!r}")
    if not (np.isfinite(net.base_mva) and net.base_mva > 0):
        raise InvalidElementError(f"network {net.name!r}: base MVA {net.base_mva!r} is not positive")
    n_br, n_bus = net.n_branches, net.n_buses
    for name in ("branch_from", "branch_to", "reactance_pu", "tap_ratio", "phase_shift_deg"):
        if len(getattr(net, name)) != n_br:
            raise InvalidElementError(
                f"network {net.name!r}: {name} has {len(getattr(net, name))} entries, {n_br} branches"
            )
    for name in ("rate_normal_mw", "rate_emergency_mw", "in_service"):
        if len(getattr(net, name)) != n_br:
            raise InvalidElementError(
                f"network {net.name!r}: {name} has {len(getattr(net, name))} entries, {n_br} branches"
            )
    for name, n, what in (("bus_names", n_bus, "buses"), ("branch_names", n_br, "branches")):
        if getattr(net, name) and len(getattr(net, name)) != n:
            raise InvalidElementError(
                f"network {net.name!r}: {name} has {len(getattr(net, name))} entries, {n} {what}"
            )
    if len(net.bus_demand_mw) != n_bus:
        raise InvalidElementError(
            f"network {net.name!r}: bus_demand_mw has {len(net.bus_demand_mw)} entries, {n_bus} buses"
        )
    for name in ("branch_from", "branch_to"):
        arr = np.asarray(getattr(net, name))
        bad = (arr < 0) | (arr >= n_bus)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UnknownElementError(f"branch {net.branch_ids[i]!r}: {name} position {arr[i]} is not a bus")
    same = np.asarray(net.branch_from) == np.asarray(net.branch_to)
    if same.any():
        i = int(np.flatnonzero(same)[0])
        raise InvalidElementError(
            f"branch {net.branch_ids[i]!r}: from and to bus are both {net.bus_ids[net.branch_from[i]]!r}"
        )
    x = np.asarray(net.reactance_pu)
    bad = np.asarray(net.in_service) & ~(np.isfinite(x) & (x != 0.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidElementError(
            f"branch {net.branch_ids[i]!r}: reactance {float(x[i])!r} p.u."
            " is zero or missing on an in-service "
            f"branch ({int(bad.sum())} such branches)"
        )
    for name in ("rate_normal_mw", "rate_emergency_mw"):
        r = np.asarray(getattr(net, name))
        neg = r < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise InvalidElementError(f"branch {net.branch_ids[i]!r}: {name} {float(r[i])!r} is negative")
    buses = set(net.bus_ids)
    branches = set(net.branch_ids)
    seen_points: set[str] = set()
    for p in net.pricing_points:
        if p.id in seen_points:
            raise InvalidElementError(f"pricing point {p.id!r} is defined twice")
        seen_points.add(p.id)
        if len(p.bus_ids) != len(p.weights) or not p.bus_ids:
            raise InvalidElementError(
                f"pricing point {p.id!r}: needs one weight per bus and at least one bus"
            )
        for b in p.bus_ids:
            if b not in buses:
                raise UnknownElementError(f"pricing point {p.id!r}: unknown bus {b!r}")
        w = np.asarray(p.weights, dtype=np.float64)
        if not np.all(np.isfinite(w)) or (w < 0).any() or abs(w.sum() - 1.0) > WEIGHT_SUM_TOL:
            raise InvalidElementError(
                f"pricing point {p.id!r}: weights must be >= 0 and sum to 1, got {p.weights!r}"
            )
        if p.id in buses and not (p.bus_ids == (p.id,)):
            raise InvalidElementError(
                f"pricing point {p.id!r}: has the id of a bus but is not that bus alone"
            )
    seen: set[str] = set()
    for iface in net.interfaces:
        if iface.id in seen:
            raise InvalidElementError(f"interface {iface.id!r} is defined twice")
        seen.add(iface.id)
        for b in iface.branch_ids:
            if b not in branches:
                raise UnknownElementError(f"interface {iface.id!r}: unknown branch {b!r}")
    seen = set()
    for c in net.contingencies:
        if c.id in seen:
            raise InvalidElementError(f"contingency {c.id!r} is defined twice")
        seen.add(c.id)
        if not c.branch_ids:
            raise InvalidElementError(f"contingency {c.id!r} opens no branch")
        for b in c.branch_ids:
            if b not in branches:
                raise UnknownElementError(f"contingency {c.id!r}: unknown branch {b!r}")
    for g in net.generators:
        if g.bus_id not in buses:
            raise UnknownElementError(f"generator {g.id!r}: unknown bus {g.bus_id!r}")
    return net
