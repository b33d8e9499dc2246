"""Every query on the applications table, and the lock that serialises the OA 5.2.2(b) cap checks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.applications.records import COUNTED_STATES
from app.applications.tables import FtrApplication
from app.db import is_postgresql
from auction.allocation_applications import ApplicationKind, ApplicationState
from auction.ledger_time import DeliveryMonth


class ApplicationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, application_id: int, *, applicant: int | None = None) -> FtrApplication | None:
        """The application, or None; with ``applicant``, only if it is that participant's."""
        stmt = select(FtrApplication).where(FtrApplication.id == application_id)
        if applicant is not None:
            stmt = stmt.where(FtrApplication.applicant_id == applicant)
        return self.session.exec(stmt).first()

    def all(self, *, applicant: int | None = None) -> Sequence[FtrApplication]:
        """Every application in order of receipt; with ``applicant``, that participant's."""
        stmt = select(FtrApplication)
        if applicant is not None:
            stmt = stmt.where(FtrApplication.applicant_id == applicant)
        return self.session.exec(stmt.order_by(col(FtrApplication.id))).all()

    def lock_nsu_caps(self) -> None:
        """Serialise NSU cap checks: the resource cap spans users, so one lock for all of them
        (PostgreSQL advisory lock for the transaction; SQLite transactions are BEGIN IMMEDIATE)."""
        if is_postgresql(self.session):
            self.session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(5220, 0)")

    def counted_nsu(self, first: DeliveryMonth, last: DeliveryMonth) -> list[FtrApplication]:
        """NSU applications PENDING or ASSIGNED whose term (period..last month) meets ``first..last``,
        in order of receipt."""
        starts = FtrApplication.period_year * 12 + FtrApplication.period_month
        ends = FtrApplication.last_year * 12 + FtrApplication.last_month
        stmt = (
            select(FtrApplication)
            .where(
                FtrApplication.kind == ApplicationKind.NSU_ALLOCATION.value,
                col(FtrApplication.state).in_(COUNTED_STATES),
                starts <= last.year * 12 + last.month,
                ends >= first.year * 12 + first.month,
            )
            .order_by(col(FtrApplication.id))
        )
        return list(self.session.exec(stmt).all())

    def pending_of(self, period: DeliveryMonth) -> list[FtrApplication]:
        """The period's PENDING applications in order of receipt (the OI's review, OA 7.3.3)."""
        stmt = (
            select(FtrApplication)
            .where(
                FtrApplication.state == ApplicationState.PENDING.value,
                FtrApplication.period_year == period.year,
                FtrApplication.period_month == period.month,
            )
            .order_by(col(FtrApplication.id))
        )
        return list(self.session.exec(stmt).all())

    def save(self, row: FtrApplication) -> FtrApplication:
        """Add or update, and flush (the id is then set)."""
        self.session.add(row)
        self.session.flush()
        return row
