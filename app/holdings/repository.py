"""Every query on the holdings ledger; reads only return what the caller may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.holdings.tables import FtrHolding
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller


class HoldingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def held_tenths(
        self, holder_id: int, year: int, month: int, period_class: str, source: str, sink: str, hedge: str
    ) -> int:
        """Net MW (tenths) the holder holds on a path for a month and class: the sum of its entries."""
        stmt = select(func.coalesce(func.sum(FtrHolding.mw_tenths), 0)).where(
            FtrHolding.holder_id == holder_id,
            FtrHolding.year == year,
            FtrHolding.month == month,
            FtrHolding.period_class == period_class,
            FtrHolding.source == source,
            FtrHolding.sink == sink,
            FtrHolding.hedge == hedge,
        )
        return int(self.session.exec(stmt).one())

    def for_period(self, year: int, month: int, period_class: str) -> Sequence[FtrHolding]:
        return self.session.exec(
            select(FtrHolding)
            .where(
                FtrHolding.year == year, FtrHolding.month == month, FtrHolding.period_class == period_class
            )
            .order_by(col(FtrHolding.id))
        ).all()

    def list_readable(
        self, caller: Caller, *, year: int | None, month: int | None, limit: int, offset: int
    ) -> tuple[Sequence[FtrHolding], int]:
        stmt = select(FtrHolding)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(FtrHolding.holder_id == caller.participant_id)
        if year is not None:
            stmt = stmt.where(FtrHolding.year == year)
        if month is not None:
            stmt = stmt.where(FtrHolding.month == month)
        total = self.session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = self.session.exec(stmt.order_by(col(FtrHolding.id)).limit(limit).offset(offset)).all()
        return rows, int(total)

    def add(self, entry: FtrHolding) -> FtrHolding:
        self.session.add(entry)
        self.session.flush()
        return entry

    def add_all(self, entries: Sequence[FtrHolding]) -> None:
        self.session.add_all(entries)
        self.session.flush()
