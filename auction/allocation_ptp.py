"""FTR assignment to firm point-to-point customers, with the right to decline (OA 5.2.2(c)).

"Each Transmission Customer receiving firm Point-to-Point Transmission Service shall be assigned
FTRs; provided, however, that a Transmission Customer may notify the OI that it does not wish to
receive any FTRs or wishes to receive FTRs only for certain Point or Points of Receipt and Point
or Points of Delivery, in which event no FTRs or such reduced amount of FTRs shall be issued"
(OA 5.2.2(c)). The FTR for each receipt/delivery pair of a reservation is the firm MW of the
service between those points.

A customer's :class:`PtpElection` for a reservation is one of

- ``ACCEPT_ALL`` (the default when the customer says nothing): every pair at its firm MW;
- ``DECLINE_ALL``: no FTRs;
- ``ONLY``: just the pairs it lists. The seed speaks of points, not MW, so a listed pair gets
  its firm MW; naming a pair outside the reservation is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class PtpReservation:
    """Firm point-to-point service: ``firm_mw_tenths`` from ``receipt`` to ``delivery`` (one pair)."""

    reservation_id: str
    customer: str
    receipt: str
    delivery: str
    firm_mw_tenths: int


class Election(StrEnum):
    ACCEPT_ALL = "accept_all"
    DECLINE_ALL = "decline_all"
    ONLY = "only"


@dataclass(frozen=True, slots=True)
class PtpElection:
    """The customer's notice for one reservation; ``pairs`` (receipt, delivery) only with ``ONLY``."""

    reservation_id: str
    election: Election
    pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class PtpAssignment:
    """The FTR to be assigned for one pair: ``customer`` gets ``mw_tenths`` from receipt to delivery."""

    reservation_id: str
    customer: str
    source: str
    sink: str
    mw_tenths: int


def ptp_assignments(
    reservations: Sequence[PtpReservation], elections: Mapping[str, PtpElection]
) -> tuple[PtpAssignment, ...]:
    """The FTRs to assign for ``reservations`` after the customers' elections, in input order.

    Raises ``ValueError`` naming the reservation for an election about an unknown reservation,
    or an ``ONLY`` election that names a pair the reservation does not have.
    """
    by_id: dict[str, list[PtpReservation]] = {}
    for r in reservations:
        if r.firm_mw_tenths <= 0:
            raise ValueError(f"reservation {r.reservation_id}: firm MW must be more than 0")
        if r.receipt == r.delivery:
            raise ValueError(f"reservation {r.reservation_id}: receipt and delivery are both {r.receipt!r}")
        by_id.setdefault(r.reservation_id, []).append(r)
    for rid, e in elections.items():
        if rid not in by_id or e.reservation_id != rid:
            raise ValueError(f"election for unknown reservation {rid!r}")
        if e.election is Election.ONLY:
            known = {(r.receipt, r.delivery) for r in by_id[rid]}
            unknown = sorted(e.pairs - known)
            if unknown:
                raise ValueError(f"reservation {rid}: election names pairs it does not have: {unknown}")
        elif e.pairs:
            raise ValueError(f"reservation {rid}: pairs are given only with the {Election.ONLY} election")
    out: list[PtpAssignment] = []
    for r in reservations:
        chosen = elections.get(r.reservation_id)
        choice = Election.ACCEPT_ALL if chosen is None else chosen.election
        if choice is Election.DECLINE_ALL:
            continue
        if choice is Election.ONLY and chosen is not None and (r.receipt, r.delivery) not in chosen.pairs:
            continue
        out.append(PtpAssignment(r.reservation_id, r.customer, r.receipt, r.delivery, r.firm_mw_tenths))
    return tuple(out)
