"""FTR allocation to Network Service Users for designated network resources (OA 5.2.2(b)).

Each year a Network Service User designates some of its Network Resources; each designation
asks for an FTR from the resource's bus to the user's aggregate load buses in a zone (or, for
Non-Zone Network Load, to the border of the control area). Two caps, in MW:

- per resource: sum of MW designated on the resource <= its installed capacity (summer rating
  at the bus it is connected to);
- per user and zone: sum of the user's MW to the zone <= its peak load for the zone (for
  Non-Zone Network Load, its transmission responsibility, given in the same table).

:func:`check_nsu_designations` judges a user's complete designation set for the period (the
set is what the caps apply to, so it must include designations already allocated for the
period). A cap that is exceeded refuses *every* designation in its group, with the sum and the
cap named: the seed states a bound on the sum, not an order in which to cut, so the user
re-designates. Designations that pass go on to the simultaneous-feasibility test
(:mod:`auction.allocation_feasibility`, OA 7.3.3(b)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from auction.ledger_units import tenths_to_mw


@dataclass(frozen=True, slots=True)
class NetworkResource:
    """A designated resource: the point (bus) it injects at and its installed capacity (tenths of MW)."""

    resource_id: str
    point_id: str
    installed_capacity_tenths: int


@dataclass(frozen=True, slots=True)
class NsuDesignation:
    """A request for an FTR ``resource point -> load point`` of ``mw_tenths`` for ``user`` in ``zone``.

    ``load_point_id`` is the pricing point of the user's aggregate load buses in the zone
    (OA 5.2.3 load-bus shares), or the border point for Non-Zone Network Load.
    """

    designation_id: str
    user: str
    zone: str
    resource_id: str
    load_point_id: str
    mw_tenths: int


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """Accepted, or refused with a reason naming the resource or zone, the MW and the cap."""

    designation_id: str
    accepted: bool
    reason: str = ""


def check_nsu_designations(
    designations: Sequence[NsuDesignation],
    resources: Mapping[str, NetworkResource],
    zone_caps_tenths: Mapping[tuple[str, str], int],
) -> tuple[RuleVerdict, ...]:
    """One verdict per designation, in input order (see the module docstring for the rules).

    ``zone_caps_tenths[(user, zone)]`` is the user's peak load for the zone (or its transmission
    responsibility for Non-Zone Network Load), in tenths of MW.
    """
    reasons: dict[str, list[str]] = {d.designation_id: [] for d in designations}
    if len(reasons) != len(designations):
        raise ValueError("designation ids must be unique")
    by_resource: dict[str, list[NsuDesignation]] = {}
    by_zone: dict[tuple[str, str], list[NsuDesignation]] = {}
    for d in designations:
        if d.mw_tenths <= 0:
            reasons[d.designation_id].append(f"{tenths_to_mw(d.mw_tenths)} MW is not more than 0")
        resource = resources.get(d.resource_id)
        if resource is None:
            reasons[d.designation_id].append(
                f"resource {d.resource_id!r} is not a designated network resource"
            )
        elif resource.point_id == d.load_point_id:
            reasons[d.designation_id].append(f"resource {d.resource_id!r} is at the load point itself")
        by_resource.setdefault(d.resource_id, []).append(d)
        by_zone.setdefault((d.user, d.zone), []).append(d)
    for resource_id, group in by_resource.items():
        resource = resources.get(resource_id)
        total = sum(d.mw_tenths for d in group)
        if resource is not None and total > resource.installed_capacity_tenths:
            why = (
                f"resource {resource_id!r}: {tenths_to_mw(total)} MW designated exceeds its installed "
                f"capacity of {tenths_to_mw(resource.installed_capacity_tenths)} MW (OA 5.2.2(b))"
            )
            for d in group:
                reasons[d.designation_id].append(why)
    for (user, zone), group in by_zone.items():
        total = sum(d.mw_tenths for d in group)
        cap = zone_caps_tenths.get((user, zone))
        if cap is None:
            why = f"no peak load is recorded for {user} in zone {zone!r}"
        elif total > cap:
            why = (
                f"{user} in zone {zone!r}: {tenths_to_mw(total)} MW designated exceeds its peak load of "
                f"{tenths_to_mw(cap)} MW (OA 5.2.2(b))"
            )
        else:
            continue
        for d in group:
            reasons[d.designation_id].append(why)
    return tuple(
        RuleVerdict(d.designation_id, not reasons[d.designation_id], "; ".join(reasons[d.designation_id]))
        for d in designations
    )
