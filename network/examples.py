"""Small reference networks used in documentation, tests and demos.

:func:`three_bus` is the worked example of docs/rules.md: buses 1, 2, 3; branches 1-2, 2-3, 1-3 with
``x = 0.1`` p.u.; ratings 1000, 1000 and 60 MW; reference bus 3. Its PTDF rows (bus 1, 2, 3) are
1-2: (1/3, -1/3, 0); 2-3: (1/3, 2/3, 0); 1-3: (2/3, 1/3, 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from network.model import Contingency, Interface, Network, PricingPoint


def build_network(
    name: str,
    bus_ids: Sequence[str],
    branches: Sequence[tuple[str, str, str, float, float]],
    reference_bus: str,
    *,
    emergency_mw: Sequence[float] | None = None,
    pricing_points: Sequence[PricingPoint] = (),
    interfaces: Sequence[Interface] = (),
    contingencies: Sequence[Contingency] = (),
    base_mva: float = 100.0,
) -> Network:
    """A network from ``(branch id, from bus id, to bus id, reactance p.u., normal rating MW)`` rows.

    Taps are 1, shifts 0, everything in service; the emergency rating defaults to the normal one.
    """
    pos = {b: i for i, b in enumerate(bus_ids)}
    normal = np.array([r[4] for r in branches], dtype=np.float64)
    return Network(
        name=name,
        base_mva=base_mva,
        bus_ids=tuple(bus_ids),
        reference_bus=reference_bus,
        branch_ids=tuple(r[0] for r in branches),
        branch_from=np.array([pos[r[1]] for r in branches], dtype=np.int64),
        branch_to=np.array([pos[r[2]] for r in branches], dtype=np.int64),
        reactance_pu=np.array([r[3] for r in branches], dtype=np.float64),
        tap_ratio=np.ones(len(branches)),
        phase_shift_deg=np.zeros(len(branches)),
        rate_normal_mw=normal,
        rate_emergency_mw=normal if emergency_mw is None else np.asarray(emergency_mw, dtype=np.float64),
        in_service=np.ones(len(branches), dtype=np.bool_),
        bus_demand_mw=np.zeros(len(bus_ids)),
        pricing_points=tuple(pricing_points),
        interfaces=tuple(interfaces),
        contingencies=tuple(contingencies),
    )


def three_bus() -> Network:
    """The 3-bus auction example of docs/rules.md (branch ids ``1-2``, ``2-3``, ``1-3``; reference ``3``)."""
    return build_network(
        "three_bus",
        ("1", "2", "3"),
        (("1-2", "1", "2", 0.1, 1000.0), ("2-3", "2", "3", 0.1, 1000.0), ("1-3", "1", "3", 0.1, 60.0)),
        "3",
    )
