"""Table rows to wire schemas (participants)."""

from __future__ import annotations

from api_schemas.participants import ApiKeyIssued, ApiKeyPublic, ParticipantPublic, RoleName
from app.participants.service import IssuedKey
from app.participants.tables import ApiKey, Participant
from app.units import from_cents


def participant_public(p: Participant) -> ParticipantPublic:
    assert p.id is not None
    return ParticipantPublic(
        id=p.id,
        name=p.name,
        role=RoleName(p.role),
        credit_limit=from_cents(p.credit_limit_cents),
        created_at=p.created_at,
    )


def key_issued(k: IssuedKey) -> ApiKeyIssued:
    return ApiKeyIssued(
        participant_id=k.participant_id, prefix=k.prefix, api_key=k.secret_key, created_at=k.created_at
    )


def key_public(k: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        participant_id=k.participant_id, prefix=k.prefix, created_at=k.created_at, revoked_at=k.revoked_at
    )
