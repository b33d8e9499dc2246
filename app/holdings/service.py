"""Rules for the holdings ledger kept by the service until the full ledger takes over.

The OI records allocations; posting an auction appends purchases (+MW) and sales (-MW).
Entries are never changed or deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.holdings.repository import HoldingRepository
from app.holdings.tables import FtrHolding
from app.participants.repository import ParticipantRepository
from app.participants.roles import BIDDING_ROLES, Role
from app.participants.service import Caller


class HoldingService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = HoldingRepository(session)

    def allocate(
        self,
        *,
        holder_id: int,
        year: int,
        month: int,
        period_class: str,
        source: str,
        sink: str,
        hedge: str,
        mw_tenths: int,
        now: datetime,
    ) -> FtrHolding:
        holder = ParticipantRepository(self.session).get(holder_id)
        if holder is None or Role(holder.role) not in BIDDING_ROLES:
            raise ValidationFailed(
                f"participant {holder_id} cannot hold FTRs",
                errors=[FieldError("body.holder_id", "not a trader or LSE")],
            )
        if source == sink:
            raise ValidationFailed(
                "source and sink must differ", errors=[FieldError("body.sink", "equals source")]
            )
        return self.repo.add(
            FtrHolding(
                holder_id=holder_id,
                year=year,
                month=month,
                period_class=period_class,
                source=source,
                sink=sink,
                hedge=hedge,
                mw_tenths=mw_tenths,
                origin="allocation",
                created_at=now,
            )
        )

    def list_readable(
        self, caller: Caller, *, year: int | None, month: int | None, limit: int, offset: int
    ) -> tuple[Sequence[FtrHolding], int]:
        return self.repo.list_readable(caller, year=year, month=month, limit=limit, offset=offset)
