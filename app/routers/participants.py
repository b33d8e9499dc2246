"""``/api/v1/participants``: the OI creates participants, issues keys and sets credit limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status

from api_schemas.common import Page
from api_schemas.participants import (
    ApiKeyIssued,
    ApiKeyPublic,
    CreditByMonthPublic,
    CreditPublic,
    ParticipantCreate,
    ParticipantCreated,
    ParticipantPublic,
    ParticipantUpdate,
)
from app.audit.service import actor_of
from app.bids.credit_service import CreditService
from app.bids.mapping import credit_by_month_public, credit_public
from app.db import after_commit
from app.deps import (
    ClockDep,
    CurrentParticipant,
    CursorPageDep,
    ObjectId,
    Operator,
    SessionDep,
    SettingsDep,
)
from app.participants.mapping import key_issued, key_public, participant_public
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.units import to_cents

router = APIRouter(prefix="/api/v1/participants", tags=["participants"])
KeyPrefix = Annotated[str, Path(pattern="^[0-9a-f]{12}$", description="the key's public prefix")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantCreated)
def create_participant(
    body: ParticipantCreate, caller: Operator, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ParticipantCreated:
    """Create a participant and its first API key (shown once). OI only."""
    service = ParticipantService(session, settings.secret_key)
    now = clock.now()
    participant = service.create(
        name=body.name, role=Role(body.role.value), credit_limit_cents=to_cents(body.credit_limit), now=now
    )
    return ParticipantCreated(
        participant=participant_public(participant), key=key_issued(service.issue_key(participant, now=now))
    )


@router.get("", response_model=Page[ParticipantPublic])
def list_participants(
    caller: Operator, session: SessionDep, settings: SettingsDep, page: CursorPageDep
) -> Page[ParticipantPublic]:
    """Every participant. OI only."""
    found = ParticipantService(session, settings.secret_key).page(page)
    return Page(
        items=[participant_public(p) for (p,) in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )


@router.get("/me", response_model=ParticipantPublic)
def read_me(caller: CurrentParticipant, session: SessionDep, settings: SettingsDep) -> ParticipantPublic:
    """The authenticated participant."""
    return participant_public(ParticipantService(session, settings.secret_key).get(caller.participant_id))


@router.get("/me/credit", response_model=CreditPublic)
def read_my_credit(caller: CurrentParticipant, session: SessionDep, settings: SettingsDep) -> CreditPublic:
    """The caller's credit position: limit, amount held by open bids and offers, and what is left."""
    return credit_public(CreditService(session, settings).position(caller.participant_id))


@router.get("/me/credit/by-month", response_model=CreditByMonthPublic)
def read_my_credit_by_month(
    caller: CurrentParticipant, session: SessionDep, settings: SettingsDep
) -> CreditByMonthPublic:
    """The caller's credit position and the credit in use by delivery month and period class (open
    orders and awards not yet settled); the lines sum to ``credit_in_use``."""
    position, lines = CreditService(session, settings).by_month_and_class(caller.participant_id)
    return credit_by_month_public(position, lines)


@router.get("/{participant_id}", response_model=ParticipantPublic)
def read_participant(
    participant_id: ObjectId, caller: Operator, session: SessionDep, settings: SettingsDep
) -> ParticipantPublic:
    """One participant. OI only."""
    return participant_public(ParticipantService(session, settings.secret_key).get(participant_id))


@router.patch("/{participant_id}", response_model=ParticipantPublic)
def update_participant(
    participant_id: ObjectId,
    body: ParticipantUpdate,
    caller: Operator,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> ParticipantPublic:
    """Set a participant's credit limit. OI only."""
    service = ParticipantService(session, settings.secret_key)
    updated = service.set_credit_limit(
        participant_id, to_cents(body.credit_limit), actor=actor_of(caller.participant_id), now=clock.now()
    )
    return participant_public(updated)


@router.post("/{participant_id}/keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyIssued)
def issue_key(
    participant_id: ObjectId, caller: Operator, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ApiKeyIssued:
    """Issue another API key for a participant (shown once). OI only."""
    service = ParticipantService(session, settings.secret_key)
    return key_issued(service.issue_key(service.get(participant_id), now=clock.now()))


@router.get("/{participant_id}/keys", response_model=list[ApiKeyPublic])
def list_keys(
    participant_id: ObjectId, caller: Operator, session: SessionDep, settings: SettingsDep
) -> list[ApiKeyPublic]:
    """A participant's API keys, active and revoked (prefixes and dates, never a key). OI only."""
    service = ParticipantService(session, settings.secret_key)
    service.get(participant_id)
    return [key_public(k) for k in service.keys([participant_id])]


@router.delete("/{participant_id}/keys/{prefix}", response_model=ApiKeyPublic)
def revoke_key(
    participant_id: ObjectId,
    prefix: KeyPrefix,
    request: Request,
    caller: Operator,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> ApiKeyPublic:
    """Revoke a participant's API key (audited ``key.revoked``; the key stays on record). OI only.

    The key is refused at once by this process and by every other process within
    ``FTR_KEY_CACHE_TTL_S`` seconds; a portal session signed in with it ends at its next page.
    """
    revoked = ParticipantService(session, settings.secret_key).revoke_key(
        participant_id, prefix, actor=actor_of(caller.participant_id), now=clock.now()
    )
    after_commit(session, lambda: request.app.state.verified_keys.forget(prefix))
    return key_public(revoked)
