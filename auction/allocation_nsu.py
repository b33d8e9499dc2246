"""FTR allocation to Network Service Users for designated network resources (OA 5.2.2(b)).

Each year a Network Service User designates some of its Network Resources; each designation
asks for an FTR from the resource's bus to the user's aggregate load buses in a zone (or, for
Non-Zone Network Load, to the border of the control area). Two caps, in MW, for every month:

- per resource: sum of MW designated on the resource, by *every* user, <= its installed
  capacity (summer rating at the bus it is connected to): a resource's capacity is never
  allocated twice, not even to two users;
- per user and zone: sum of the user's MW to the zone <= its peak load for the zone (for
  Non-Zone Network Load, its transmission responsibility, given in the same table).

The caps apply to the whole set for the period, not to one application. Designations already
counted (those of earlier applications that are still pending or assigned) enter as
:class:`CountedDesignation`: their MW adds to the sums, but they are not judged again.

- :func:`check_nsu_designations` judges designations for one period against ``existing``
  counted for that same period;
- :func:`check_nsu_term` judges an application's designations for every month of its term
  ``first..last``: in each month it counts the designations whose own term covers the month
  (months with the same counted set are judged once). A designation is refused if a cap is
  exceeded in any month, and the reason names those months when the sums differ by month.

A cap that is exceeded refuses *every* judged designation in its group, with the sum, the cap
and the MW counted from each earlier application named: the seed states a bound on the sum,
not an order in which to cut, so the user re-designates.

One installed capacity per resource, one peak load per user and zone. An application states
the figures it was judged on (the OI records them with the designations). If a counted
designation of the same resource stated another installed capacity or another bus, or one of
the same user and zone another peak load, the judged designations of that group are refused,
naming the conflicting application and both figures: the seed fixes both figures for the year
(summer rating; peak load under Tariff section 34.1), so two figures for one month are a data
error to be resolved, and letting the newest figure win would let one user's application raise
the cap another user's allocation was judged against.

Designations that pass go on to the simultaneous-feasibility test
(:mod:`auction.allocation_feasibility`, OA 7.3.3(b)). MW are tenths of a MW throughout;
reasons state MW.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from auction.ledger_time import DeliveryMonth
from market_terms.mw import tenths_to_mw


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
class CountedDesignation:
    """MW already counted against the caps from ``first`` to ``last``: added to the sums, never judged.

    ``source`` names where the MW comes from in refusals (``"application 7"``); ``resource`` and
    ``peak_load_tenths`` are the figures stated with it, checked against the judged ones.
    """

    source: str
    user: str
    zone: str
    resource: NetworkResource
    peak_load_tenths: int
    mw_tenths: int
    first: DeliveryMonth
    last: DeliveryMonth

    def covers(self, month: DeliveryMonth) -> bool:
        return self.first <= month <= self.last


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """Accepted, or refused with a reason naming the resource or zone, the MW and the cap.

    ``counted`` names the sources of counted MW in a group this designation was refused in
    (their MW made up part of the sum, or their figures conflict), in the order given.
    """

    designation_id: str
    accepted: bool
    reason: str = ""
    counted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str
    counted: tuple[str, ...] = ()
    depends_on_counted: bool = False


def _mw(tenths: int) -> str:
    return f"{tenths_to_mw(tenths)} MW"


def _breakdown(own_tenths: int, counted: Sequence[CountedDesignation]) -> str:
    """`` (50 MW here, 60 MW in application 7)``: each source once, in order given; empty if none."""
    if not counted:
        return ""
    per_source: dict[str, int] = {}
    for c in counted:
        per_source[c.source] = per_source.get(c.source, 0) + c.mw_tenths
    parts = [f"{_mw(own_tenths)} here", *(f"{_mw(mw)} in {src}" for src, mw in per_source.items())]
    return f" ({', '.join(parts)})"


def _sources(counted: Sequence[CountedDesignation]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.source for c in counted))


def _judge(
    designations: Sequence[NsuDesignation],
    resources: Mapping[str, NetworkResource],
    zone_caps_tenths: Mapping[tuple[str, str], int],
    existing: Sequence[CountedDesignation],
) -> dict[str, list[_Refusal]]:
    refusals: dict[str, list[_Refusal]] = {d.designation_id: [] for d in designations}
    if len(refusals) != len(designations):
        raise ValueError("designation ids must be unique")
    by_resource: dict[str, list[NsuDesignation]] = {}
    by_zone: dict[tuple[str, str], list[NsuDesignation]] = {}
    for d in designations:
        if d.mw_tenths <= 0:
            refusals[d.designation_id].append(_Refusal(f"{_mw(d.mw_tenths)} is not more than 0"))
        resource = resources.get(d.resource_id)
        if resource is None:
            refusals[d.designation_id].append(
                _Refusal(f"resource {d.resource_id!r} is not a designated network resource")
            )
        elif resource.point_id == d.load_point_id:
            refusals[d.designation_id].append(
                _Refusal(f"resource {d.resource_id!r} is at the load point itself")
            )
        by_resource.setdefault(d.resource_id, []).append(d)
        by_zone.setdefault((d.user, d.zone), []).append(d)

    def refuse(group: Sequence[NsuDesignation], why: str, counted: Sequence[CountedDesignation]) -> None:
        refusal = _Refusal(why, _sources(counted), bool(counted))
        for d in group:
            refusals[d.designation_id].append(refusal)

    def over_cap(
        group: Sequence[NsuDesignation],
        counted: Sequence[CountedDesignation],
        cap_tenths: int,
        what: str,
        cap_name: str,
    ) -> None:
        own = sum(d.mw_tenths for d in group)
        total = own + sum(c.mw_tenths for c in counted)
        if total > cap_tenths:
            refuse(
                group,
                f"{what}: {_mw(total)} designated{_breakdown(own, counted)} exceeds its "
                f"{cap_name} of {_mw(cap_tenths)} (OA 5.2.2(b))",
                counted,
            )

    for resource_id, group in by_resource.items():
        resource = resources.get(resource_id)
        if resource is None:
            continue
        counted = [c for c in existing if c.resource.resource_id == resource_id]
        conflicting = [
            c
            for c in counted
            if (c.resource.point_id, c.resource.installed_capacity_tenths)
            != (resource.point_id, resource.installed_capacity_tenths)
        ]
        if conflicting:
            stated = ", ".join(
                f"at point {c.resource.point_id!r} with {_mw(c.resource.installed_capacity_tenths)} "
                f"in {c.source}"
                for c in conflicting
            )
            refuse(
                group,
                f"resource {resource_id!r}: stated here at point {resource.point_id!r} with an installed "
                f"capacity of {_mw(resource.installed_capacity_tenths)}, but {stated} "
                "(one installed capacity per resource, OA 5.2.2(b))",
                conflicting,
            )
            continue
        over_cap(
            group,
            counted,
            resource.installed_capacity_tenths,
            f"resource {resource_id!r}",
            "installed capacity",
        )
    for (user, zone), group in by_zone.items():
        cap = zone_caps_tenths.get((user, zone))
        if cap is None:
            refuse(group, f"no peak load is recorded for {user} in zone {zone!r}", ())
            continue
        counted = [c for c in existing if (c.user, c.zone) == (user, zone)]
        conflicting = [c for c in counted if c.peak_load_tenths != cap]
        if conflicting:
            stated = ", ".join(f"{_mw(c.peak_load_tenths)} in {c.source}" for c in conflicting)
            refuse(
                group,
                f"{user} in zone {zone!r}: peak load stated here as {_mw(cap)}, but {stated} "
                "(one peak load per user and zone, OA 5.2.2(b))",
                conflicting,
            )
            continue
        over_cap(group, counted, cap, f"{user} in zone {zone!r}", "peak load")
    return refusals


def _verdict(designation_id: str, refusals: Sequence[_Refusal]) -> RuleVerdict:
    return RuleVerdict(
        designation_id,
        not refusals,
        "; ".join(dict.fromkeys(r.reason for r in refusals)),
        tuple(dict.fromkeys(s for r in refusals for s in r.counted)),
    )


def check_nsu_designations(
    designations: Sequence[NsuDesignation],
    resources: Mapping[str, NetworkResource],
    zone_caps_tenths: Mapping[tuple[str, str], int],
    existing: Sequence[CountedDesignation] = (),
) -> tuple[RuleVerdict, ...]:
    """One verdict per designation, in input order (see the module docstring for the rules).

    ``zone_caps_tenths[(user, zone)]`` is the user's peak load for the zone (or its transmission
    responsibility for Non-Zone Network Load), in tenths of MW. ``existing`` are designations
    counted for the same period, whatever their ``first``/``last`` (:func:`check_nsu_term`
    picks them per month); only those of a resource or a user and zone judged here matter.
    """
    refusals = _judge(designations, resources, zone_caps_tenths, existing)
    return tuple(_verdict(d.designation_id, refusals[d.designation_id]) for d in designations)


def _month_ranges(months: Sequence[DeliveryMonth]) -> str:
    """``2027-01..2027-03, 2027-05`` for sorted months."""
    runs: list[tuple[DeliveryMonth, DeliveryMonth]] = []
    for m in months:
        if runs and runs[-1][1].next() == m:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in runs)


def check_nsu_term(
    designations: Sequence[NsuDesignation],
    resources: Mapping[str, NetworkResource],
    zone_caps_tenths: Mapping[tuple[str, str], int],
    first: DeliveryMonth,
    last: DeliveryMonth,
    existing: Sequence[CountedDesignation] = (),
) -> tuple[RuleVerdict, ...]:
    """Verdicts for designations held ``first..last``, counting in each month what covers it.

    A designation is accepted only if it passes in every month of the term. When the counted
    set differs between months, a reason that depends on counted MW names the months it holds in.
    """
    if last < first:
        raise ValueError(f"the term ends {last}, before it starts {first}")
    by_counted_set: dict[tuple[int, ...], list[DeliveryMonth]] = {}
    month = first
    while month <= last:
        key = tuple(i for i, c in enumerate(existing) if c.covers(month))
        by_counted_set.setdefault(key, []).append(month)
        month = month.next()
    reasons: dict[str, dict[_Refusal, list[DeliveryMonth]]] = {d.designation_id: {} for d in designations}
    for key, months in by_counted_set.items():
        judged = _judge(designations, resources, zone_caps_tenths, [existing[i] for i in key])
        for designation_id, refusals in judged.items():
            for r in refusals:
                reasons[designation_id].setdefault(r, []).extend(months)
    several = len(by_counted_set) > 1
    verdicts = []
    for d in designations:
        refusals = [
            _Refusal(f"{r.reason} in {_month_ranges(sorted(ms))}", r.counted)
            if several and r.depends_on_counted
            else r
            for r, ms in reasons[d.designation_id].items()
        ]
        verdicts.append(_verdict(d.designation_id, refusals))
    return tuple(verdicts)
