"""A participant's credit position under :mod:`app.bids.credit`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.bids.credit import Side, award_credit_cents
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
        participant = ParticipantRepository(self.session).get(participant_id)
        if participant is None:
            raise NotFound(f"participant {participant_id} not found")
        repo = BidRepository(self.session)
        awards = award_credit_in_use(repo, participant_id, self.settings.credit_floor_cents_per_mwh)
        in_use = repo.credit_held(participant_id) + awards
        return CreditPosition(participant_id, participant.credit_limit_cents, in_use, awards)


def award_credit_in_use(repo: BidRepository, participant_id: int, floor_cents_per_mwh: int) -> int:
    """Cents held by the participant's awards not yet settled (:func:`app.bids.credit.award_credit_cents`)."""
    return sum(
        award_credit_cents(
            side=Side(side),
            clearing_price_cents=price_cents,
            mw_tenths=mw_tenths,
            class_hours=hours,
            floor_cents_per_mwh=floor_cents_per_mwh,
        )
        for side, price_cents, mw_tenths, hours in repo.unsettled_awards(participant_id)
    )
