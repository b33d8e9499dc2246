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
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.applications.nsu_rules import judge_nsu, nsu_ftrs, ptp_ftrs
from app.applications.records import application_of, store_application
from app.applications.repository import ApplicationRepository
from app.applications.tables import FtrApplication
from app.audit.service import actor_of, record_audit
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
from app.participants.service import Caller, participant_label
from auction.allocation_applications import (
    Application,
    ApplicationKind,
    ApplicationState,
    ApplicationStateError,
    defer_application,
    review_applications,
    submit_application,
    withdraw_application,
)
from auction.allocation_feasibility import FtrFlow, outstanding_ftrs
from auction.ledger import PeriodClass
from auction.ledger_time import DeliveryMonth


class ApplicationService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = ApplicationRepository(session)

    @staticmethod
    def _applicant(caller: Caller) -> int | None:
        """The applicant whose applications the caller may read; None for the OI and auditors (all)."""
        return None if caller.role in READ_ALL_ROLES else caller.participant_id

    def _readable(self, caller: Caller, application_id: int) -> FtrApplication:
        row = self.repo.find(application_id, applicant=self._applicant(caller))
        if row is None:
            raise NotFound(f"application {application_id} not found")
        return row

    def get(self, caller: Caller, application_id: int) -> FtrApplication:
        return self._readable(caller, application_id)

    def list_readable(self, caller: Caller) -> Sequence[FtrApplication]:
        return self.repo.all(applicant=self._applicant(caller))

    def lock_nsu_caps(self) -> None:
        self.repo.lock_nsu_caps()

    def counted_nsu(self, first: DeliveryMonth, last: DeliveryMonth) -> list[FtrApplication]:
        return self.repo.counted_nsu(first, last)

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
                f"{participant_label(applicant, applicant_id)} cannot hold FTRs",
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
        self.repo.save(row)
        try:
            app = submit_application(str(row.id), holder_name(applicant_id), kind, ftrs, period, last, now)
        except ValueError as exc:
            raise ValidationFailed(str(exc), errors=[FieldError("body", str(exc))]) from None
        store_application(row, app, now)
        self.repo.save(row)
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
        store_application(row, app, now)
        self.repo.save(row)
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
        store_application(row, app, now)
        self.repo.save(row)
        self._audit(caller, action, row, now)
        return row

    def review(self, caller: Caller, period: DeliveryMonth, now: datetime) -> list[FtrApplication]:
        """The OI reviews the period's pending applications in order of receipt (OA 7.3.3)."""
        auction = auction_for_month(self.session, period.year, period.month)
        self.lock_nsu_caps()
        rows = self.repo.pending_of(period)
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
            store_application(row, app, now)
            self.repo.save(row)
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
