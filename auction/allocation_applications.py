"""Pending applications for allocated and assigned FTRs, reviewed before each auction (OA 7.3.3).

An application (an NSU allocation under OA 5.2.2(b) or a PTP assignment under OA 5.2.2(c),
after the rules of :mod:`auction.allocation_nsu` / :mod:`auction.allocation_ptp`) asks for FTRs
from the first month of an auction period to the end of its term. Before the auction's bid
window opens, the OI reviews pending applications in the order they were received:

- an application whose review is not complete when the window opens, or whose FTRs are not
  simultaneously feasible with all outstanding FTRs including those effective for the period
  (OA 7.3.3(b); :mod:`auction.allocation_feasibility`), is NOT_ASSIGNED for that period, with
  the reason (the binding constraint named);
- an application refused by a further rule the caller passes (``admit``: for NSU allocations
  the OA 5.2.2(b) caps, re-judged against what is counted when its turn comes, see
  :mod:`auction.allocation_nsu`) is NOT_ASSIGNED with that rule's reason;
- an application that passes is ASSIGNED; its FTRs join the outstanding set for the
  applications after it, and its ledger postings put them in the base model of the auction
  (OA 7.3.3(a), 7.3.6(a)).

A NOT_ASSIGNED applicant "may withdraw its application, or request that the FTR be assigned
effective with the start of the next auction period" (OA 7.3.3(b))::

    PENDING --review--> ASSIGNED
       |       \\------> NOT_ASSIGNED --defer--> PENDING (next period)
       |                      \\--withdraw--> WITHDRAWN
       \\--withdraw--> WITHDRAWN

An allocated or assigned FTR is a 24-hour right, so it is tested and posted in both classes
(OA 7.3.4); its postings cover every month of the term from the assigned period, effective from
each month's first hour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from auction.allocation_feasibility import (
    FtrFlow,
    TransferFlowEvaluator,
    check_simultaneous_feasibility,
    outstanding_ftrs,
)
from auction.ledger import FtrKey, Ledger, Origin, PeriodClass, Posting
from auction.ledger_time import DeliveryMonth
from market_terms import Hedge


class ApplicationKind(StrEnum):
    NSU_ALLOCATION = "nsu_allocation"
    PTP_ASSIGNMENT = "ptp_assignment"


class ApplicationState(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    NOT_ASSIGNED = "not_assigned"
    WITHDRAWN = "withdrawn"


class ApplicationStateError(ValueError):
    """A step not allowed from the application's state."""


@dataclass(frozen=True, slots=True)
class ApplicationEvent:
    state: ApplicationState
    at: datetime
    period: DeliveryMonth
    note: str = ""


@dataclass(frozen=True, slots=True)
class Application:
    """FTRs (obligations, tenths of MW) asked for by ``applicant`` from ``period`` to ``last_month``."""

    application_id: str
    applicant: str
    kind: ApplicationKind
    ftrs: tuple[FtrFlow, ...]
    period: DeliveryMonth
    last_month: DeliveryMonth
    state: ApplicationState
    events: tuple[ApplicationEvent, ...]

    @property
    def reason(self) -> str:
        return self.events[-1].note

    @property
    def reference(self) -> str:
        return f"application:{self.application_id}"


def submit_application(
    application_id: str,
    applicant: str,
    kind: ApplicationKind,
    ftrs: Sequence[FtrFlow],
    period: DeliveryMonth,
    last_month: DeliveryMonth,
    at: datetime,
) -> Application:
    if not ftrs:
        raise ValueError(f"application {application_id}: no FTR asked for")
    if last_month < period:
        raise ValueError(f"application {application_id}: term ends {last_month}, before {period}")
    for f in ftrs:
        if f.mw_tenths <= 0 or f.hedge is not Hedge.OBLIGATION or f.source == f.sink:
            raise ValueError(
                f"application {application_id}: {f.source}->{f.sink} must be an obligation of more than 0 MW "
                "between two points"
            )
    event = ApplicationEvent(ApplicationState.PENDING, at, period)
    return Application(
        application_id,
        applicant,
        ApplicationKind(kind),
        tuple(ftrs),
        period,
        last_month,
        ApplicationState.PENDING,
        (event,),
    )


def _move(
    app: Application,
    allowed: set[ApplicationState],
    state: ApplicationState,
    at: datetime,
    note: str = "",
    period: DeliveryMonth | None = None,
) -> Application:
    if app.state not in allowed:
        raise ApplicationStateError(f"application {app.application_id} is {app.state}: cannot become {state}")
    new_period = app.period if period is None else period
    event = ApplicationEvent(state, at, new_period, note)
    return replace(app, state=state, period=new_period, events=(*app.events, event))


def withdraw_application(app: Application, at: datetime) -> Application:
    """The applicant withdraws a pending or not-assigned application (OA 7.3.3(b))."""
    return _move(
        app, {ApplicationState.PENDING, ApplicationState.NOT_ASSIGNED}, ApplicationState.WITHDRAWN, at
    )


def defer_application(app: Application, at: datetime) -> Application:
    """The applicant asks for assignment from the start of the next auction period (OA 7.3.3(b))."""
    nxt = app.period.next()
    if nxt > app.last_month:
        raise ApplicationStateError(f"application {app.application_id}: its term ends with {app.period}")
    return _move(app, {ApplicationState.NOT_ASSIGNED}, ApplicationState.PENDING, at, "deferred", nxt)


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """Every application (reviewed ones moved on) and the postings of those ASSIGNED."""

    applications: tuple[Application, ...]
    postings: tuple[Posting, ...]


def application_postings(app: Application) -> tuple[Posting, ...]:
    """``+MW`` to the applicant for each FTR, class and month of the term from ``app.period``."""
    origin = Origin.NSU_ALLOCATION if app.kind is ApplicationKind.NSU_ALLOCATION else Origin.PTP_ASSIGNMENT
    out: list[Posting] = []
    month = app.period
    while month <= app.last_month:
        for cls in PeriodClass:
            for f in app.ftrs:
                key = FtrKey(month, cls, f.source, f.sink, f.hedge)
                out.append(
                    Posting(app.applicant, key, f.mw_tenths, origin, month.first_hour_ending(), app.reference)
                )
        month = month.next()
    return tuple(out)


def review_applications(
    applications: Sequence[Application],
    ledger: Ledger,
    evaluator: TransferFlowEvaluator,
    period: DeliveryMonth,
    at: datetime,
    window_opens: datetime,
    admit: Callable[[Application, Sequence[Application]], str] | None = None,
) -> ReviewResult:
    """Review the PENDING applications for ``period`` in the order given (see the module docstring).

    ``evaluator`` is the period's flow model (scheduled outages, contingencies, loop flow);
    ``at`` is when the review completes and ``window_opens`` when the auction's bid window opens.
    ``admit(app, assigned)``, judged before feasibility, is given the applications ASSIGNED so
    far in this review and returns a refusal reason, or ``""`` to let ``app`` go on.
    """
    assigned: list[Application] = []
    outstanding = {cls: list(outstanding_ftrs(ledger, period, cls)) for cls in PeriodClass}
    reviewed: list[Application] = []
    postings: list[Posting] = []
    for app in applications:
        if app.state is not ApplicationState.PENDING or app.period != period:
            reviewed.append(app)
            continue
        if at >= window_opens:
            note = (
                f"review not completed before the bid window opened at {window_opens.isoformat()}: "
                f"not assigned for {period} (OA 7.3.3(b))"
            )
            reviewed.append(_move(app, {ApplicationState.PENDING}, ApplicationState.NOT_ASSIGNED, at, note))
            continue
        refusal = admit(app, tuple(assigned)) if admit is not None else ""
        for cls in () if refusal else PeriodClass:
            verdict = check_simultaneous_feasibility(evaluator, outstanding[cls], app.ftrs)
            if not verdict.feasible:
                refusal = f"{cls}: {verdict.reason} (OA 7.3.3(b))"
                break
        if refusal:
            reviewed.append(
                _move(app, {ApplicationState.PENDING}, ApplicationState.NOT_ASSIGNED, at, refusal)
            )
            continue
        for cls in PeriodClass:
            outstanding[cls].extend(app.ftrs)
        moved = _move(app, {ApplicationState.PENDING}, ApplicationState.ASSIGNED, at)
        assigned.append(moved)
        reviewed.append(moved)
        postings.extend(application_postings(app))
    return ReviewResult(tuple(reviewed), tuple(postings))
