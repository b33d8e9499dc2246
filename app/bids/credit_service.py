"""A participant's credit position under :mod:`app.bids.credit`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.bids.credit_breakdown import CreditLine, credit_lines
from app.bids.repository import BidRepository
from app.errors import NotFound
from app.participants.repository import ParticipantRepository
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class CreditPosition:
    """A participant's credit in cents: the limit, what open orders and unsettled awards hold, the rest."""

    participant_id: int
    limit_cents: int
    in_use_cents: int
    awards_cents: int = 0
    """The part of ``in_use_cents`` held by awards not yet settled."""

    @property
    def available_cents(self) -> int:
        return max(self.limit_cents - self.in_use_cents, 0)


class CreditService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def position(self, participant_id: int) -> CreditPosition:
        """From the running totals (:class:`app.bids.tables.CreditPosition`), never a sum over the book."""
        participant = ParticipantRepository(self.session).get(participant_id)
        if participant is None:
            raise NotFound(f"participant {participant_id} not found")
        orders, awards = BidRepository(self.session).credit_totals(participant_id)
        return CreditPosition(participant_id, participant.credit_limit_cents, orders + awards, awards)

    def by_month_and_class(self, participant_id: int) -> tuple[CreditPosition, list[CreditLine]]:
        """The position and the credit in use split by delivery month and class (same totals, read in
        the same transaction: the lines sum to ``in_use_cents``)."""
        position = self.position(participant_id)
        return position, credit_lines(self.session, participant_id)
