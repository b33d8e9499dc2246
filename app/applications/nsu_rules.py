"""The NSU and PTP rules applied to stored applications (OA 5.2.2(b),(c)): the glue between rows and
:mod:`auction.allocation_nsu` / :mod:`auction.allocation_ptp`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.applications.records import (
    applicant_name,
    application_source,
    as_decimal,
    counted_designations,
    resource_of,
)
from app.applications.tables import FtrApplication
from app.errors import FieldError, ValidationFailed
from app.holdings.ledger_mapping import holder_name
from app.units import to_tenths
from auction.allocation_feasibility import FtrFlow
from auction.allocation_nsu import NetworkResource, NsuDesignation, check_nsu_term
from auction.allocation_ptp import Election, PtpElection, PtpReservation, ptp_assignments
from auction.ledger_time import DeliveryMonth
from market_terms.mw import tenths_to_mw


@dataclass(frozen=True, slots=True)
class NsuJudgement:
    """The designations as the pure rule sees them, the refusals (one per designation), and the
    ids of the earlier applications whose MW or figures a refusal rests on."""

    designations: tuple[NsuDesignation, ...]
    resources: dict[str, NetworkResource]
    errors: tuple[FieldError, ...]
    counted_applications: tuple[int, ...]

    def ftrs(self) -> tuple[FtrFlow, ...]:
        return tuple(
            FtrFlow(self.resources[d.resource_id].point_id, d.load_point_id, d.mw_tenths)
            for d in self.designations
        )


def judge_nsu(
    applicant_id: int,
    designations: Sequence[dict[str, Any]],
    first: DeliveryMonth,
    last: DeliveryMonth,
    counted: Sequence[FtrApplication] = (),
) -> NsuJudgement:
    """OA 5.2.2(b) caps on an application's designations for ``first..last``, counting ``counted``.

    ``counted`` are the earlier NSU applications whose MW still holds (see
    :meth:`ApplicationService.counted_nsu`). The application's own designations must state one
    installed capacity (and bus) per resource and one peak load per zone, as earlier
    applications must (:mod:`auction.allocation_nsu`).
    """
    user = applicant_name(applicant_id)
    ds = tuple(
        NsuDesignation(
            str(i), user, d["zone"], d["resource_id"], d["load_point"], to_tenths(as_decimal(d["mw"]))
        )
        for i, d in enumerate(designations)
    )
    resources: dict[str, NetworkResource] = {}
    caps: dict[tuple[str, str], int] = {}
    errors: list[FieldError] = []
    first_stated: dict[object, int] = {}
    for i, d in enumerate(designations):
        resource, peak = resource_of(d), to_tenths(as_decimal(d["peak_load"]))
        known = resources.setdefault(resource.resource_id, resource)
        j = first_stated.setdefault(("resource", resource.resource_id), i)
        if known != resource:
            errors.append(
                FieldError(
                    f"body.designations.{i}",
                    f"resource {resource.resource_id!r}: stated at point {resource.point_id!r} with an "
                    f"installed capacity of {tenths_to_mw(resource.installed_capacity_tenths)} MW, but at "
                    f"point {known.point_id!r} with {tenths_to_mw(known.installed_capacity_tenths)} MW in "
                    f"designation {j} (one installed capacity per resource, OA 5.2.2(b))",
                )
            )
        cap = caps.setdefault((user, d["zone"]), peak)
        j = first_stated.setdefault(("zone", d["zone"]), i)
        if cap != peak:
            errors.append(
                FieldError(
                    f"body.designations.{i}",
                    f"zone {d['zone']!r}: peak load stated as {tenths_to_mw(peak)} MW, but "
                    f"{tenths_to_mw(cap)} MW in designation {j} "
                    "(one peak load per user and zone, OA 5.2.2(b))",
                )
            )
    if errors:
        return NsuJudgement(ds, resources, tuple(errors), ())
    ids = {application_source(r.id): r.id for r in counted if r.id is not None}
    existing = [c for r in counted for c in counted_designations(r)]
    verdicts = check_nsu_term(ds, resources, caps, first, last, existing)
    refused = [v for v in verdicts if not v.accepted]
    return NsuJudgement(
        ds,
        resources,
        tuple(FieldError(f"body.designations.{v.designation_id}", v.reason) for v in refused),
        tuple(sorted({ids[s] for v in refused for s in v.counted})),
    )


def nsu_ftrs(
    applicant_id: int,
    designations: Sequence[dict[str, Any]],
    first: DeliveryMonth,
    last: DeliveryMonth,
    counted: Sequence[FtrApplication] = (),
) -> tuple[FtrFlow, ...]:
    """OA 5.2.2(b) caps on the designations; each passing one asks for resource point -> load point.

    Refused (422, nothing stored) with a field error per refused designation naming the sum, the
    cap and the earlier applications counted; their ids are also in ``counted_applications``.
    """
    judged = judge_nsu(applicant_id, designations, first, last, counted)
    if judged.errors:
        raise ValidationFailed(
            f"{len(judged.errors)} designation(s) refused (OA 5.2.2(b))",
            errors=judged.errors,
            extensions={"counted_applications": list(judged.counted_applications)},
        )
    return judged.ftrs()


def ptp_ftrs(
    applicant_id: int, reservations: Sequence[dict[str, Any]], election: dict[str, Any]
) -> tuple[FtrFlow, ...]:
    """OA 5.2.2(c): firm MW per receipt/delivery pair, after the customer's election."""
    rs = [
        PtpReservation(
            r["reservation_id"],
            holder_name(applicant_id),
            r["receipt"],
            r["delivery"],
            to_tenths(as_decimal(r["firm_mw"])),
        )
        for r in reservations
    ]
    choice = Election(election.get("election", Election.ACCEPT_ALL.value))
    pairs = frozenset((a, b) for a, b in election.get("pairs", []))
    elections = {
        r.reservation_id: PtpElection(
            r.reservation_id, choice, pairs if choice is Election.ONLY else frozenset()
        )
        for r in rs
    }
    if choice is Election.ONLY:
        # A pair belongs to one reservation; others with none of the pairs are declined.
        elections = {
            rid: PtpElection(
                rid,
                Election.ONLY,
                frozenset(
                    p
                    for p in pairs
                    if any((r.receipt, r.delivery) == p for r in rs if r.reservation_id == rid)
                ),
            )
            for rid in elections
        }
        known = {(r.receipt, r.delivery) for r in rs}
        unknown = sorted(pairs - known)
        if unknown:
            raise ValidationFailed(
                f"the election names pairs no reservation has: {unknown}",
                errors=[FieldError("body.election.pairs", f"unknown pairs {unknown}")],
            )
    try:
        assigned = ptp_assignments(rs, elections)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[FieldError("body.reservations", str(exc))]) from None
    return tuple(FtrFlow(a.source, a.sink, a.mw_tenths) for a in assigned)
