"""Rules for participants: creation by the OI, credit limits, key issue and authentication."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.audit.service import record_audit
from app.errors import AlreadyExists, Conflict, NotFound, Unauthenticated
from app.paging import KeyedPage, Pagination
from app.participants.repository import ParticipantRepository
from app.participants.roles import Role
from app.participants.tables import ApiKey, Participant
from app.security import generate_api_key, key_matches, key_prefix


def participant_label(participant: Participant | None, participant_id: int) -> str:
    """How errors name a participant: by name, id and role (``participant 7`` only if it does not exist)."""
    if participant is None:
        return f"participant {participant_id} (no such participant)"
    return f"participant {participant.name!r} ({participant_id}, {participant.role})"


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated participant of a request."""

    participant_id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class IssuedKey:
    participant_id: int
    prefix: str
    secret_key: str
    created_at: datetime


class ParticipantService:
    def __init__(self, session: Session, pepper: str) -> None:
        self.repo = ParticipantRepository(session)
        self.pepper = pepper

    def authenticate(self, presented_key: str | None) -> Caller:
        if not presented_key:
            raise Unauthenticated("send an API key as 'Authorization: Bearer <key>'")
        prefix = key_prefix(presented_key)
        found = self.repo.active_key_by_prefix(prefix) if prefix else None
        if found is None or not key_matches(presented_key, found[0].key_hash, self.pepper):
            raise Unauthenticated("the API key is not valid")
        return _caller(found[1])

    def authenticate_signed_prefix(self, prefix: str) -> Caller:
        """The owner of the active key with ``prefix``, for a prefix the service signed itself after
        the full key was authenticated (the portal's session cookie); a revoked key ends it."""
        found = self.repo.active_key_by_prefix(prefix)
        if found is None:
            raise Unauthenticated("the API key this session signed in with is no longer valid")
        return _caller(found[1])

    def create(self, *, name: str, role: Role, credit_limit_cents: int, now: datetime) -> Participant:
        if self.repo.get_by_name(name) is not None:
            raise AlreadyExists(f"a participant named {name!r} already exists")
        return self.repo.add(
            Participant(name=name, role=role.value, credit_limit_cents=credit_limit_cents, created_at=now)
        )

    def issue_key(self, participant: Participant, *, now: datetime) -> IssuedKey:
        assert participant.id is not None
        new = generate_api_key(self.pepper)
        self.repo.add_key(
            ApiKey(participant_id=participant.id, prefix=new.prefix, key_hash=new.key_hash, created_at=now)
        )
        return IssuedKey(
            participant_id=participant.id, prefix=new.prefix, secret_key=new.secret_key, created_at=now
        )

    def keys(self, participant_ids: Sequence[int]) -> Sequence[ApiKey]:
        """Every key of these participants (prefix, creation, revocation; never the key itself)."""
        return self.repo.keys_of(participant_ids)

    def revoke_key(self, participant_id: int, prefix: str, *, actor: str, now: datetime) -> ApiKey:
        """Revoke one key of a participant (audited ``key.revoked``): it authenticates nothing from
        now on, and a portal session signed in with it ends at its next request. The processes
        that verified the key recently keep it for at most ``FTR_KEY_CACHE_TTL_S`` (see
        :mod:`app.gate`); the caller forgets it in its own process."""
        participant = self.get(participant_id)
        key = self.repo.lock_key(participant_id, prefix)
        if key is None:
            raise NotFound(f"{participant_label(participant, participant_id)} has no API key {prefix!r}")
        if key.revoked_at is not None:
            raise Conflict(
                f"API key {prefix!r} of {participant_label(participant, participant_id)} "
                f"was already revoked at {key.revoked_at.isoformat()}"
            )
        key.revoked_at = now
        self.repo.session.add(key)
        self.repo.session.flush()
        record_audit(
            self.repo.session,
            actor,
            "key.revoked",
            {"participant_id": participant_id, "prefix": prefix},
            at=now,
        )
        return key

    def get(self, participant_id: int) -> Participant:
        participant = self.repo.get(participant_id)
        if participant is None:
            raise NotFound(f"participant {participant_id} not found")
        return participant

    def get_by_name(self, name: str) -> Participant | None:
        return self.repo.get_by_name(name)

    def list_all(self, *, limit: int, offset: int) -> tuple[Sequence[Participant], int]:
        return self.repo.list_all(limit=limit, offset=offset)

    def page(self, page: Pagination) -> KeyedPage:
        return self.repo.page(page)

    def set_credit_limit(
        self,
        participant_id: int,
        credit_limit_cents: int,
        *,
        actor: str = "system",
        now: datetime | None = None,
    ) -> Participant:
        participant = self.repo.lock(participant_id)
        if participant is None:
            raise NotFound(f"participant {participant_id} not found")
        before = participant.credit_limit_cents
        participant.credit_limit_cents = credit_limit_cents
        self.repo.session.add(participant)
        self.repo.session.flush()
        record_audit(
            self.repo.session,
            actor,
            "credit.changed",
            {"participant_id": participant_id, "before_cents": before, "after_cents": credit_limit_cents},
            at=now,
        )
        return participant


def _caller(participant: Participant) -> Caller:
    assert participant.id is not None
    return Caller(participant_id=participant.id, name=participant.name, role=Role(participant.role))
