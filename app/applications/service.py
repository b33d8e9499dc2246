"""Applications for allocated and assigned FTRs (OA 5.2.2(b),(c), 7.3.3) in the service.

The rules are the pure ones: :func:`auction.allocation_nsu.check_nsu_term` (installed
capacity per resource, peak load per user and zone), :func:`auction.allocation_ptp.ptp_assignments`
(the customer's election to decline all or some pairs), the simultaneous-feasibility test on the
period's model (:mod:`app.holdings.feasibility`) and the application machine of
:mod:`auction.allocation_applications`:

- the OI records an application; it is refused (422) if a cap is exceeded or if its FTRs are
  not simultaneously feasible with all outstanding FTRs of the period (the refusal names the
  binding constraint); otherwise it is stored PENDING. The NSU caps count the designations of
  every NSU application PENDING or ASSIGNED whose term meets the new one's, in the months they
  share (``details`` keeps the designations with the figures they were judged on); a refusal
  names the earlier applications counted;
- a PTP customer may change its election while the application is pending;
- the OI's review (before the bid window opens) takes the period's pending applications in
  order of receipt, re-judging the NSU caps (:meth:`ApplicationService._nsu_admission`):
  ASSIGNED ones get their ledger entries (both classes, every month of the term), the others
  are NOT_ASSIGNED with the reason;
- the applicant may withdraw, or defer a NOT_ASSIGNED application to the next period.

Every step is audited. Applicants see their own applications, the OI and auditors all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.applications.tables import FtrApplication
from app.audit.service import actor_of, record_audit
from app.db import is_postgresql
from app.errors import FieldError, InvalidStep, NotFound, ValidationFailed
from app.holdings.feasibility import (
    auction_for_month,
    period_evaluator,
    require_feasible,
    require_known_points,
)
from app.holdings.ledger_mapping import holder_name
from app.holdings.service import HoldingService
from app.participants.repository import ParticipantRepository
from app.participants.roles import BIDDING_ROLES, READ_ALL_ROLES, Role
from app.participants.service import Caller
from app.units import to_tenths
from auction.allocation_applications import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationState,
    ApplicationStateError,
    defer_application,
    review_applications,
    submit_application,
    withdraw_application,
)
from auction.allocation_feasibility import FtrFlow, outstanding_ftrs
from auction.allocation_nsu import CountedDesignation, NetworkResource, NsuDesignation, check_nsu_term
from auction.allocation_ptp import Election, PtpElection, PtpReservation, ptp_assignments
from auction.ledger import PeriodClass
from auction.ledger_time import DeliveryMonth
from market_terms.mw import tenths_to_mw

# The states whose designations hold MW against the OA 5.2.2(b) caps; withdrawn and
# not-assigned applications hold none (a deferred one holds again from its new period).
COUNTED_STATES = (ApplicationState.PENDING.value, ApplicationState.ASSIGNED.value)


def _ftrs_of(row: FtrApplication) -> tuple[FtrFlow, ...]:
    return tuple(FtrFlow(s, t, mw) for s, t, mw in json.loads(row.ftrs))


def application_of(row: FtrApplication) -> Application:
    assert row.id is not None
    events = tuple(
        ApplicationEvent(
            ApplicationState(e["state"]),
            datetime.fromisoformat(e["at"]),
            DeliveryMonth.parse(e["period"]),
            e["note"],
        )
        for e in json.loads(row.events)
    )
    return Application(
        str(row.id),
        holder_name(row.applicant_id),
        ApplicationKind(row.kind),
        _ftrs_of(row),
        DeliveryMonth(row.period_year, row.period_month),
        DeliveryMonth(row.last_year, row.last_month),
        ApplicationState(row.state),
        events,
    )


def _store(row: FtrApplication, app: Application, now: datetime) -> None:
    row.state = app.state.value
    row.period_year, row.period_month = app.period.year, app.period.month
    row.ftrs = json.dumps([[f.source, f.sink, f.mw_tenths] for f in app.ftrs], separators=(",", ":"))
    row.events = json.dumps(
        [
            {"state": e.state.value, "at": e.at.isoformat(), "period": str(e.period), "note": e.note}
            for e in app.events
        ],
        separators=(",", ":"),
    )
    row.updated_at = now


def _user(applicant_id: int) -> str:
    return f"participant {applicant_id}"


def _source(application_id: int) -> str:
    return f"application {application_id}"


def _resource_of(d: dict[str, Any]) -> NetworkResource:
    return NetworkResource(d["resource_id"], d["resource_point"], to_tenths(_dec(d["installed_capacity"])))


def counted_designations(row: FtrApplication) -> tuple[CountedDesignation, ...]:
    """A stored NSU application's designations, as MW counted against the caps over its term."""
    assert row.id is not None
    first = DeliveryMonth(row.period_year, row.period_month)
    last = DeliveryMonth(row.last_year, row.last_month)
    return tuple(
        CountedDesignation(
            _source(row.id),
            _user(row.applicant_id),
            d["zone"],
            _resource_of(d),
            to_tenths(_dec(d["peak_load"])),
            to_tenths(_dec(d["mw"])),
            first,
            last,
        )
        for d in json.loads(row.details)["designations"]
    )


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
    user = _user(applicant_id)
    ds = tuple(
        NsuDesignation(str(i), user, d["zone"], d["resource_id"], d["load_point"], to_tenths(_dec(d["mw"])))
        for i, d in enumerate(designations)
    )
    resources: dict[str, NetworkResource] = {}
    caps: dict[tuple[str, str], int] = {}
    errors: list[FieldError] = []
    first_stated: dict[object, int] = {}
    for i, d in enumerate(designations):
        resource, peak = _resource_of(d), to_tenths(_dec(d["peak_load"]))
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
    ids = {_source(r.id): r.id for r in counted if r.id is not None}
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
            to_tenths(_dec(r["firm_mw"])),
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


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


class ApplicationService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _readable(self, caller: Caller, application_id: int) -> FtrApplication:
        stmt = select(FtrApplication).where(FtrApplication.id == application_id)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(FtrApplication.applicant_id == caller.participant_id)
        row = self.session.exec(stmt).first()
        if row is None:
            raise NotFound(f"application {application_id} not found")
        return row

    def get(self, caller: Caller, application_id: int) -> FtrApplication:
        return self._readable(caller, application_id)

    def list_readable(self, caller: Caller) -> Sequence[FtrApplication]:
        stmt = select(FtrApplication)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(FtrApplication.applicant_id == caller.participant_id)
        return self.session.exec(stmt.order_by(col(FtrApplication.id))).all()

    def lock_nsu_caps(self) -> None:
        """Serialise NSU cap checks: the resource cap spans users, so one lock for all of them
        (PostgreSQL advisory lock for the transaction; SQLite transactions are BEGIN IMMEDIATE)."""
        if is_postgresql(self.session):
            self.session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(5220, 0)")

    def counted_nsu(self, first: DeliveryMonth, last: DeliveryMonth) -> list[FtrApplication]:
        """NSU applications PENDING or ASSIGNED whose term (period..last month) meets ``first..last``,
        in order of receipt."""
        starts = FtrApplication.period_year * 12 + FtrApplication.period_month
        ends = FtrApplication.last_year * 12 + FtrApplication.last_month
        stmt = (
            select(FtrApplication)
            .where(
                FtrApplication.kind == ApplicationKind.NSU_ALLOCATION.value,
                col(FtrApplication.state).in_(COUNTED_STATES),
                starts <= last.year * 12 + last.month,
                ends >= first.year * 12 + first.month,
            )
            .order_by(col(FtrApplication.id))
        )
        return list(self.session.exec(stmt).all())

    def _require_feasible(self, ftrs: Sequence[FtrFlow], period: DeliveryMonth, what: str) -> None:
        auction = auction_for_month(self.session, period.year, period.month)
        points = [(p, "body") for f in ftrs for p in (f.source, f.sink)]
        require_known_points(self.session, auction, points)
        evaluator = period_evaluator(self.session, auction)
        ledger = HoldingService(self.session).ledger([period])
        for cls in PeriodClass:
            require_feasible(
                evaluator, outstanding_ftrs(ledger, period, cls), ftrs, what=f"{what} ({cls})", field="body"
            )

    def submit(
        self,
        caller: Caller,
        *,
        applicant_id: int,
        kind: ApplicationKind,
        period: DeliveryMonth,
        last: DeliveryMonth,
        details: dict[str, Any],
        now: datetime,
    ) -> FtrApplication:
        applicant = ParticipantRepository(self.session).get(applicant_id)
        if applicant is None or Role(applicant.role) not in BIDDING_ROLES:
            raise ValidationFailed(
                f"participant {applicant_id} cannot hold FTRs",
                errors=[FieldError("body.applicant_id", "not a trader or LSE")],
            )
        ftrs = self._ftrs(kind, applicant_id, details, period, last)
        self._require_feasible(ftrs, period, f"application of participant {applicant_id}")
        row = FtrApplication(
            applicant_id=applicant_id,
            kind=kind.value,
            ftrs="[]",
            details=json.dumps(details, separators=(",", ":")),
            period_year=period.year,
            period_month=period.month,
            last_year=last.year,
            last_month=last.month,
            state=ApplicationState.PENDING.value,
            events="[]",
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        try:
            app = submit_application(str(row.id), holder_name(applicant_id), kind, ftrs, period, last, now)
        except ValueError as exc:
            raise ValidationFailed(str(exc), errors=[FieldError("body", str(exc))]) from None
        _store(row, app, now)
        self.session.add(row)
        self.session.flush()
        self._audit(caller, "application.submitted", row, now)
        return row

    def _ftrs(
        self,
        kind: ApplicationKind,
        applicant_id: int,
        details: dict[str, Any],
        period: DeliveryMonth,
        last: DeliveryMonth,
    ) -> tuple[FtrFlow, ...]:
        if kind is ApplicationKind.NSU_ALLOCATION:
            self.lock_nsu_caps()
            counted = self.counted_nsu(period, last)
            ftrs = nsu_ftrs(applicant_id, details["designations"], period, last, counted)
        else:
            ftrs = ptp_ftrs(applicant_id, details["reservations"], details["election"])
        if not ftrs:
            raise ValidationFailed(
                "the application asks for no FTR (every pair declined, or no designation or reservation)",
                errors=[FieldError("body", "no FTR asked for")],
            )
        return ftrs

    def elect(
        self, caller: Caller, application_id: int, election: dict[str, Any], now: datetime
    ) -> FtrApplication:
        """The PTP customer's notice (OA 5.2.2(c)) while its application is pending."""
        row = self._readable(caller, application_id)
        if row.applicant_id != caller.participant_id or row.kind != ApplicationKind.PTP_ASSIGNMENT.value:
            raise InvalidStep(f"application {application_id}: only the PTP customer itself elects")
        if row.state != ApplicationState.PENDING.value:
            raise InvalidStep(
                f"application {application_id} is {row.state}: elections are made while pending"
            )
        details = json.loads(row.details)
        details["election"] = election
        ftrs = ptp_ftrs(row.applicant_id, details["reservations"], election)
        if ftrs:
            self._require_feasible(
                ftrs, DeliveryMonth(row.period_year, row.period_month), f"application {application_id}"
            )
        app = application_of(row)
        app = replace(app, ftrs=ftrs)
        if not ftrs:
            app = withdraw_application(app, now)
        row.details = json.dumps(details, separators=(",", ":"))
        _store(row, app, now)
        self.session.add(row)
        self.session.flush()
        self._audit(caller, "application.elected" if ftrs else "application.withdrawn", row, now)
        return row

    def withdraw(self, caller: Caller, application_id: int, now: datetime) -> FtrApplication:
        row = self._readable(caller, application_id)
        return self._move(caller, row, lambda a: withdraw_application(a, now), "application.withdrawn", now)

    def defer(self, caller: Caller, application_id: int, now: datetime) -> FtrApplication:
        row = self._readable(caller, application_id)
        if row.applicant_id != caller.participant_id:
            raise InvalidStep(f"application {application_id}: only the applicant may ask to defer")
        return self._move(caller, row, lambda a: defer_application(a, now), "application.deferred", now)

    def _move(
        self, caller: Caller, row: FtrApplication, step: Any, action: str, now: datetime
    ) -> FtrApplication:
        try:
            app = step(application_of(row))
        except ApplicationStateError as exc:
            raise InvalidStep(str(exc), extensions={"state": row.state}) from None
        _store(row, app, now)
        self.session.add(row)
        self.session.flush()
        self._audit(caller, action, row, now)
        return row

    def review(self, caller: Caller, period: DeliveryMonth, now: datetime) -> list[FtrApplication]:
        """The OI reviews the period's pending applications in order of receipt (OA 7.3.3)."""
        auction = auction_for_month(self.session, period.year, period.month)
        self.lock_nsu_caps()
        rows = list(
            self.session.exec(
                select(FtrApplication)
                .where(
                    FtrApplication.state == ApplicationState.PENDING.value,
                    FtrApplication.period_year == period.year,
                    FtrApplication.period_month == period.month,
                )
                .order_by(col(FtrApplication.id))
            ).all()
        )
        holdings = HoldingService(self.session)
        result = review_applications(
            [application_of(r) for r in rows],
            holdings.ledger([period]),
            period_evaluator(self.session, auction),
            period,
            now,
            auction.opens_at,
            self._nsu_admission(rows),
        )
        holdings.append(result.postings, now=now)
        for row, app in zip(rows, result.applications, strict=True):
            _store(row, app, now)
            self.session.add(row)
        self.session.flush()
        for row in rows:
            self._audit(caller, "application.reviewed", row, now)
        return rows

    def _nsu_admission(
        self, rows: Sequence[FtrApplication]
    ) -> Callable[[Application, Sequence[Application]], str]:
        """The OA 5.2.2(b) caps re-judged at review, for each NSU application when its turn comes.

        Counted against it: ASSIGNED applications (stored, or assigned before it in this
        review) and PENDING ones of other periods received before it, whose terms meet its
        own; not the ones reviewed after it. This is what its submission counted, less what has
        since gone (so an application accepted then passes now), plus what a deferral brought
        back: a NOT_ASSIGNED application deferred to a later period holds MW again, and the
        one that comes second in order of receipt is refused here.
        """
        in_review = {r.id: r for r in rows}
        nsu_rows = [r for r in rows if r.kind == ApplicationKind.NSU_ALLOCATION.value]
        if not nsu_rows:
            return lambda app, assigned: ""
        first = min(DeliveryMonth(r.period_year, r.period_month) for r in nsu_rows)
        last = max(DeliveryMonth(r.last_year, r.last_month) for r in nsu_rows)
        others = [r for r in self.counted_nsu(first, last) if r.id not in in_review]

        def admit(app: Application, assigned: Sequence[Application]) -> str:
            row = in_review[int(app.application_id)]
            if row.kind != ApplicationKind.NSU_ALLOCATION.value:
                return ""
            assert row.id is not None
            counted = [
                o for o in others if o.state == ApplicationState.ASSIGNED.value or (o.id or 0) < row.id
            ]
            counted.extend(
                r
                for r in (in_review[int(a.application_id)] for a in assigned)
                if r.kind == ApplicationKind.NSU_ALLOCATION.value
            )
            counted.sort(key=lambda r: r.id or 0)
            judged = judge_nsu(
                row.applicant_id, json.loads(row.details)["designations"], app.period, app.last_month, counted
            )
            return "; ".join(f"{e.field.removeprefix('body.')}: {e.reason}" for e in judged.errors)

        return admit

    def _audit(self, caller: Caller, action: str, row: FtrApplication, now: datetime) -> None:
        events = json.loads(row.events)
        record_audit(
            self.session,
            actor_of(caller.participant_id),
            action,
            {
                "application_id": row.id,
                "applicant_id": row.applicant_id,
                "kind": row.kind,
                "period": f"{row.period_year:04d}-{row.period_month:02d}",
                "last_month": f"{row.last_year:04d}-{row.last_month:02d}",
                "ftrs": json.loads(row.ftrs),
                "state": row.state,
                "note": events[-1]["note"] if events else "",
            },
            at=now,
        )
