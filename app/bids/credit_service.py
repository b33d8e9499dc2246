"""A participant's credit position under :mod:`app.bids.credit`."""

from __future__ import annotations

from sqlmodel import Session

from api_schemas.participants import CreditPublic
from app.bids.repository import BidRepository
from app.errors import NotFound
from app.participants.repository import ParticipantRepository
from app.settings import Settings
from app.units import from_cents


class CreditService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def position_public(self, participant_id: int) -> CreditPublic:
        participant = ParticipantRepository(self.session).get(participant_id)
        if participant is None:
            raise NotFound(f"participant {participant_id} not found")
        in_use = BidRepository(self.session).credit_held(participant_id)
        limit = participant.credit_limit_cents
        return CreditPublic(
            participant_id=participant_id,
            credit_limit=from_cents(limit),
            in_use=from_cents(in_use),
            available=from_cents(max(limit - in_use, 0)),
        )
