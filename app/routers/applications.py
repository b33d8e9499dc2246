"""``/api/v1/applications``: allocated (OA 5.2.2(b)) and assigned (OA 5.2.2(c)) FTRs, reviewed per period."""

from __future__ import annotations

from fastapi import APIRouter, status

from api_schemas.applications import ApplicationCreate, ApplicationPublic, Election, ReviewRequest
from app.applications.mapping import application_public
from app.applications.service import ApplicationService
from app.deps import Bidder, ClockDep, CurrentParticipant, ObjectId, Operator, SessionDep
from app.errors import FieldError, ValidationFailed
from auction.allocation_applications import ApplicationKind
from auction.ledger_time import DeliveryMonth

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApplicationPublic)
def submit_application(
    body: ApplicationCreate, caller: Operator, session: SessionDep, clock: ClockDep
) -> ApplicationPublic:
    """Record an application (OI). Refused with the binding constraint named if not simultaneously
    feasible with all outstanding FTRs of the period (OA 7.3.3(b)); else pending until reviewed."""
    period = DeliveryMonth(body.year, body.month)
    last = DeliveryMonth(body.last_year, body.last_month)
    if last < period:
        raise ValidationFailed(
            f"the term ends {last}, before it starts {period}",
            errors=[FieldError("body.last_month", "before start")],
        )
    details = {
        "designations": [d.model_dump(mode="json") for d in body.designations],
        "reservations": [r.model_dump(mode="json") for r in body.reservations],
        "election": body.election.model_dump(mode="json"),
    }
    row = ApplicationService(session).submit(
        caller,
        applicant_id=body.applicant_id,
        kind=ApplicationKind(body.kind.value),
        period=period,
        last=last,
        details=details,
        now=clock.now(),
    )
    return application_public(row)


@router.get("", response_model=list[ApplicationPublic])
def list_applications(caller: CurrentParticipant, session: SessionDep) -> list[ApplicationPublic]:
    """The caller's applications (the OI and auditors: all), in order of receipt."""
    return [application_public(r) for r in ApplicationService(session).list_readable(caller)]


@router.get("/{application_id}", response_model=ApplicationPublic)
def read_application(
    application_id: ObjectId, caller: CurrentParticipant, session: SessionDep
) -> ApplicationPublic:
    return application_public(ApplicationService(session).get(caller, application_id))


@router.post("/review", response_model=list[ApplicationPublic])
def review_applications(
    body: ReviewRequest, caller: Operator, session: SessionDep, clock: ClockDep
) -> list[ApplicationPublic]:
    """Review the period's pending applications in order of receipt (OI, before the window opens)."""
    rows = ApplicationService(session).review(caller, DeliveryMonth(body.year, body.month), clock.now())
    return [application_public(r) for r in rows]


@router.post("/{application_id}/election", response_model=ApplicationPublic)
def elect(
    application_id: ObjectId, body: Election, caller: Bidder, session: SessionDep, clock: ClockDep
) -> ApplicationPublic:
    """The PTP customer declines all or some FTRs of its pending application (OA 5.2.2(c))."""
    row = ApplicationService(session).elect(caller, application_id, body.model_dump(mode="json"), clock.now())
    return application_public(row)


@router.post("/{application_id}/withdraw", response_model=ApplicationPublic)
def withdraw(
    application_id: ObjectId, caller: CurrentParticipant, session: SessionDep, clock: ClockDep
) -> ApplicationPublic:
    """The applicant (or the OI) withdraws a pending or not-assigned application (OA 7.3.3(b))."""
    return application_public(ApplicationService(session).withdraw(caller, application_id, clock.now()))


@router.post("/{application_id}/defer", response_model=ApplicationPublic)
def defer(
    application_id: ObjectId, caller: Bidder, session: SessionDep, clock: ClockDep
) -> ApplicationPublic:
    """The applicant asks a not-assigned application to be assigned from the next period (OA 7.3.3(b))."""
    return application_public(ApplicationService(session).defer(caller, application_id, clock.now()))
