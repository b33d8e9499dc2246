"""A participant's credit position under :mod:`app.bids.credit`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.bids.repository import BidRepository
from app.errors import NotFound
from app.participants.repository import ParticipantRepository
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class CreditPosition:
    """A participant's credit in integer cents: the limit, what open bids and offers hold, what is left."""

    participant_id: int
    limit_cents: int
    in_use_cents: int

    @property
    def available_cents(self) -> int:
        return max(self.limit_cents - self.in_use_cents, 0)


class CreditService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def position(self, participant_id: int) -> CreditPosition:
        participant = ParticipantRepository(self.session).get(participant_id)
        if participant is None:
            raise NotFound(f"participant {participant_id} not found")
        in_use = BidRepository(self.session).credit_in_use(participant_id)
        return CreditPosition(participant_id, participant.credit_limit_cents, in_use)
