"""The network data model: a DC, lossless transmission model as immutable columns.

Everything downstream (PTDF/LODF, the auction LP, the market simulator) reads this one type.
Element tables are stored column-wise as read-only numpy arrays indexed by *internal position*;
external identifiers are text (a MATPOWER bus is named by its bus number as text, a MATPOWER
branch by its 1-based row in the branch table).

Units and conventions
- Reactance in per unit on ``base_mva``; flows, ratings and demand in MW.
- A branch's flow is positive from ``branch_from`` to ``branch_to``.
- A rating that is ``nan`` (MATPOWER's 0, "unlimited") means the branch is not monitored.
- ``rate_emergency_mw`` is the post-contingency limit; where a case has none it equals the normal one.

Period-specific data (scheduled outages and loop flow, OA 7.3.6(a)) live in
:class:`PeriodConditions`, not here, so that one network version serves many periods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from market_terms.arrays import BoolArray, FloatArray, IntArray


class PointKind(StrEnum):
    """What a pricing point stands for; all are weighted sets of buses (docs/rules.md)."""

    BUS = "bus"
    HUB = "hub"
    ZONE = "zone"
    LOAD_AGGREGATE = "load_aggregate"
    GENERATOR_AGGREGATE = "generator_aggregate"


@dataclass(frozen=True, slots=True)
class PricingPoint:
    """A priced point: its PTDF and its price are ``sum_i weight_i * (bus i)``.

    Weights are non-negative and sum to 1 (OA 5.2.3 load-bus shares are one such set).
    A single bus is a point with one bus of weight 1.
    """

    id: str
    bus_ids: tuple[str, ...]
    weights: tuple[float, ...]
    kind: PointKind = PointKind.BUS


@dataclass(frozen=True, slots=True)
class Interface:
    """A monitored interface / flowgate / nomogram: ``sum_j c_j * flow_j <= limit`` in both directions.

    ``coefficients`` are CAISO App. C "constraint coefficients" on branch flows (MW per MW).
    ``emergency_limit_mw`` applies after a contingency; ``None`` means the normal limit.
    """

    id: str
    branch_ids: tuple[str, ...]
    coefficients: tuple[float, ...]
    limit_mw: float
    emergency_limit_mw: float | None = None


@dataclass(frozen=True, slots=True)
class Contingency:
    """An outage of one or more branches, checked against emergency ratings (CAISO App. A, C; OA 7.4)."""

    id: str
    branch_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Generator:
    """A generator's offer data, used by the day-ahead market simulator only.

    Cost is ``c2 * p**2 + c1 * p + c0`` in $/h with ``p`` in MW (MATPOWER polynomial cost).
    """

    id: str
    bus_id: str
    pmin_mw: float
    pmax_mw: float
    cost_c2: float = 0.0
    cost_c1: float = 0.0
    cost_c0: float = 0.0
    in_service: bool = True


def _readonly(array: np.ndarray) -> np.ndarray:
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Network:
    """A transmission network version. Immutable: arrays are read-only copies."""

    name: str
    base_mva: float
    bus_ids: tuple[str, ...]
    reference_bus: str
    branch_ids: tuple[str, ...]
    branch_from: IntArray
    branch_to: IntArray
    reactance_pu: FloatArray
    tap_ratio: FloatArray
    phase_shift_deg: FloatArray
    rate_normal_mw: FloatArray
    rate_emergency_mw: FloatArray
    in_service: BoolArray
    bus_demand_mw: FloatArray
    pricing_points: tuple[PricingPoint, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    contingencies: tuple[Contingency, ...] = ()
    generators: tuple[Generator, ...] = ()
    bus_names: tuple[str, ...] = ()
    """Names users know the buses by (MATPOWER ``bus_name``), one per bus, ``""`` where a bus has none;
    empty when the model names none."""
    branch_names: tuple[str, ...] = ()
    """Names of the branches, one per branch, ``""`` where a branch has none; empty when it names none."""
    _bus_index: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _branch_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (
            "branch_from",
            "branch_to",
            "reactance_pu",
            "tap_ratio",
            "phase_shift_deg",
            "rate_normal_mw",
            "rate_emergency_mw",
            "in_service",
            "bus_demand_mw",
        ):
            object.__setattr__(self, name, _readonly(getattr(self, name)))
        object.__setattr__(self, "_bus_index", {b: i for i, b in enumerate(self.bus_ids)})
        object.__setattr__(self, "_branch_index", {b: i for i, b in enumerate(self.branch_ids)})

    def bus_name(self, bus_id: str) -> str | None:
        """The name of a bus in the model, ``None`` where it has none."""
        return (self.bus_names[self.bus_index(bus_id)] or None) if self.bus_names else None

    def branch_name(self, branch_id: str) -> str | None:
        """The name of a branch in the model, ``None`` where it has none."""
        return (self.branch_names[self.branch_index(branch_id)] or None) if self.branch_names else None

    @property
    def n_buses(self) -> int:
        return len(self.bus_ids)

    @property
    def n_branches(self) -> int:
        return len(self.branch_ids)

    def bus_index(self, bus_id: str) -> int:
        """Internal position of a bus; ``KeyError`` naming the bus if unknown."""
        try:
            return self._bus_index[bus_id]
        except KeyError:
            raise KeyError(f"unknown bus {bus_id!r}") from None

    def branch_index(self, branch_id: str) -> int:
        """Internal position of a branch; ``KeyError`` naming the branch if unknown."""
        try:
            return self._branch_index[branch_id]
        except KeyError:
            raise KeyError(f"unknown branch {branch_id!r}") from None


@dataclass(frozen=True, slots=True)
class PeriodConditions:
    """What is specific to one auction period (OA 7.3.6(a), OA 7.4).

    ``scheduled_outages``: branch ids out of service for the whole period; the sensitivities of
    the period are computed on the topology without them.
    ``loop_flow_mw``: constraint id -> MW already on that constraint before any FTR
    (estimated uncompensated parallel flow), signed in the constraint's positive direction;
    it uses up capacity in that direction and frees it in the other.
    """

    scheduled_outages: tuple[str, ...] = ()
    loop_flow_mw: Mapping[str, float] = field(default_factory=dict)
