"""Every query on the holdings ledger; reads only return what the caller may see.

Rows are only ever inserted: there is deliberately no update or delete here (the ledger is
append-only; a holding changes by new entries).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from app.holdings.tables import FtrHolding
from app.paging import KeyedPage, Pagination, page_by_key
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller


class HoldingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_months(
        self,
        months: Iterable[tuple[int, int]],
        *,
        holder_id: int | None = None,
        holder_ids: Iterable[int] | None = None,
    ) -> Sequence[FtrHolding]:
        """Every entry of the given (year, month)s, in seq (id) order; optionally some holders' only."""
        wanted = sorted(set(months))
        if not wanted:
            return []
        stmt = select(FtrHolding).where(
            or_(*(and_(col(FtrHolding.year) == y, col(FtrHolding.month) == m) for y, m in wanted))
        )
        if holder_id is not None:
            stmt = stmt.where(FtrHolding.holder_id == holder_id)
        if holder_ids is not None:
            stmt = stmt.where(col(FtrHolding.holder_id).in_(sorted(set(holder_ids))))
        return self.session.exec(stmt.order_by(col(FtrHolding.id))).all()

    def of_holding(
        self, holder_id: int, year: int, month: int, period_class: str, source: str, sink: str, hedge: str
    ) -> Sequence[FtrHolding]:
        return self.session.exec(
            select(FtrHolding)
            .where(
                FtrHolding.holder_id == holder_id,
                FtrHolding.year == year,
                FtrHolding.month == month,
                FtrHolding.period_class == period_class,
                FtrHolding.source == source,
                FtrHolding.sink == sink,
                FtrHolding.hedge == hedge,
            )
            .order_by(col(FtrHolding.id))
        ).all()

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

    def page_readable(
        self, caller: Caller, *, year: int | None, month: int | None, page: Pagination
    ) -> KeyedPage:
        """:meth:`list_readable` paged by cursor or offset (rows ``(FtrHolding,)``)."""
        stmt = select(FtrHolding)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(FtrHolding.holder_id == caller.participant_id)
        if year is not None:
            stmt = stmt.where(FtrHolding.year == year)
        if month is not None:
            stmt = stmt.where(FtrHolding.month == month)
        return page_by_key(self.session, stmt, col(FtrHolding.id), page, "holdings")

    def add_all(self, entries: Sequence[FtrHolding]) -> None:
        self.session.add_all(entries)
        self.session.flush()
