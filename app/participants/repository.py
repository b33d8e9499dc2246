"""Every query on participants and API keys."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.db import is_postgresql
from app.paging import KeyedPage, Pagination, page_by_key
from app.participants.tables import ApiKey, Participant


class ParticipantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, participant_id: int) -> Participant | None:
        return self.session.get(Participant, participant_id)

    def get_by_name(self, name: str) -> Participant | None:
        return self.session.exec(select(Participant).where(Participant.name == name)).first()

    def lock(self, participant_id: int) -> Participant | None:
        """Read the participant row for update: serialises this participant's book changes.

        PostgreSQL: ``SELECT ... FOR UPDATE`` (row lock held to the end of the transaction).
        SQLite: every transaction already holds the database write lock (``BEGIN IMMEDIATE``).
        """
        stmt = select(Participant).where(Participant.id == participant_id)
        if is_postgresql(self.session):
            stmt = stmt.with_for_update()
        participant = self.session.exec(stmt.execution_options(populate_existing=True)).first()
        return participant

    def lock_credit_limit(self, participant_id: int) -> int | None:
        """:meth:`lock` reading only the credit limit (cents; ``None``: no such participant), without
        loading the row into the session."""
        stmt = sa.select(col(Participant.credit_limit_cents)).where(col(Participant.id) == participant_id)
        if is_postgresql(self.session):
            stmt = stmt.with_for_update()
        found = self.session.connection().execute(stmt).scalar()
        return int(found) if found is not None else None

    def list_all(self, *, limit: int, offset: int) -> tuple[Sequence[Participant], int]:
        total = self.session.exec(select(func.count()).select_from(Participant)).one()
        rows = self.session.exec(
            select(Participant).order_by(col(Participant.id)).limit(limit).offset(offset)
        ).all()
        return rows, int(total)

    def page(self, page: Pagination) -> KeyedPage:
        """Every participant in id order, paged by cursor or offset (rows ``(Participant,)``)."""
        return page_by_key(self.session, select(Participant), col(Participant.id), page, "participants")

    def add(self, participant: Participant) -> Participant:
        self.session.add(participant)
        self.session.flush()
        return participant

    def add_key(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        self.session.flush()
        return key

    def keys_of(self, participant_ids: Sequence[int]) -> Sequence[ApiKey]:
        """Every key (active and revoked) of these participants, by participant then creation."""
        if not participant_ids:
            return []
        return self.session.exec(
            select(ApiKey)
            .where(col(ApiKey.participant_id).in_(participant_ids))
            .order_by(col(ApiKey.participant_id), col(ApiKey.id))
        ).all()

    def lock_key(self, participant_id: int, prefix: str) -> ApiKey | None:
        """The key ``prefix`` of ``participant_id``, read for update (see :meth:`lock`)."""
        stmt = select(ApiKey).where(ApiKey.participant_id == participant_id, ApiKey.prefix == prefix)
        if is_postgresql(self.session):
            stmt = stmt.with_for_update()
        return self.session.exec(stmt.execution_options(populate_existing=True)).first()

    def active_key_by_prefix(self, prefix: str) -> tuple[ApiKey, Participant] | None:
        row = self.session.exec(
            select(ApiKey, Participant)
            .join(Participant, col(Participant.id) == col(ApiKey.participant_id))
            .where(ApiKey.prefix == prefix, col(ApiKey.revoked_at).is_(None))
        ).first()
        return (row[0], row[1]) if row else None
