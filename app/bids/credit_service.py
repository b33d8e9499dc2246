"""A participant's credit position under :mod:`app.bids.credit`."""

from __future__ import annotations

from sqlmodel import Session

from api_schemas.participants import CreditPublic
from app.bids.credit import Side, award_credit_cents
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
        repo = BidRepository(self.session)
        awards = award_credit_in_use(repo, participant_id, self.settings.credit_floor_cents_per_mwh)
        in_use = repo.credit_in_use(participant_id) + awards
        limit = participant.credit_limit_cents
        return CreditPublic(
            participant_id=participant_id,
            credit_limit=from_cents(limit),
            in_use=from_cents(in_use),
            available=from_cents(max(limit - in_use, 0)),
            in_use_by_awards=from_cents(awards),
        )


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
