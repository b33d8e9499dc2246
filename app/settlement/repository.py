"""Every query of the settlement tables. Reads that depend on the caller take the participant id."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from app.db import is_postgresql
from app.participants.tables import Participant
from app.settlement.tables import (
    SettlementChange,
    SettlementHolderHour,
    SettlementHolderMonth,
    SettlementHour,
    SettlementInputSet,
    SettlementRun,
    SettlementYearEnd,
    SettlementYearEndShare,
)


class SettlementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ participants
    def participants_with_roles(self, ids: Collection[int], roles: Collection[str]) -> set[int]:
        if not ids:
            return set()
        rows = self.session.exec(
            select(Participant.id).where(
                col(Participant.id).in_(list(ids)), col(Participant.role).in_(list(roles))
            )
        ).all()
        return {int(r) for r in rows if r is not None}

    # ------------------------------------------------------------------ input sets
    def latest_input(self, year: int, month: int, kind: str) -> SettlementInputSet | None:
        return self.session.exec(
            select(SettlementInputSet)
            .where(
                SettlementInputSet.year == year,
                SettlementInputSet.month == month,
                SettlementInputSet.kind == kind,
            )
            .order_by(col(SettlementInputSet.version).desc())
        ).first()

    def input_set(self, input_set_id: int) -> SettlementInputSet | None:
        return self.session.get(SettlementInputSet, input_set_id)

    def input_sets(self, ids: Collection[int]) -> Sequence[SettlementInputSet]:
        return self.session.exec(
            select(SettlementInputSet).where(col(SettlementInputSet.id).in_(list(ids)))
        ).all()

    def inputs_of(self, year: int, month: int) -> Sequence[SettlementInputSet]:
        return self.session.exec(
            select(SettlementInputSet)
            .where(SettlementInputSet.year == year, SettlementInputSet.month == month)
            .order_by(col(SettlementInputSet.kind), col(SettlementInputSet.version))
        ).all()

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def add_all(self, rows: Sequence[object]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def insert_rows(self, table: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
        """Many rows at once: statements have hundreds of thousands of rows.

        PostgreSQL: ``COPY ... FROM STDIN`` in the session's transaction (several times faster than
        an executemany); SQLite: one executemany. Values must already be in their stored form
        (integer cents, exact decimals, aware UTC datetimes).
        """
        if not rows:
            return
        if not is_postgresql(self.session):
            self.session.execute(sa.insert(table), list(rows))
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        driver = self.session.connection().connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f'COPY "{table.__tablename__}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row([row[c] for c in columns])

    # ------------------------------------------------------------------ jobs
    def lock_year(self, year: int) -> None:
        """Serialise run starts and stores of one year (PostgreSQL advisory lock; SQLite: BEGIN IMMEDIATE)."""
        if is_postgresql(self.session):
            self.session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock(5200, {int(year)})")

    # ------------------------------------------------------------------ runs
    def run(self, run_id: int) -> SettlementRun | None:
        return self.session.get(SettlementRun, run_id)

    def current_runs(self, year: int) -> dict[int, SettlementRun]:
        rows = self.session.exec(
            select(SettlementRun).where(SettlementRun.year == year, col(SettlementRun.is_current))
        ).all()
        return {r.month: r for r in rows}

    def runs_of(self, year: int, month: int) -> Sequence[SettlementRun]:
        return self.session.exec(
            select(SettlementRun)
            .where(SettlementRun.year == year, SettlementRun.month == month)
            .order_by(col(SettlementRun.version))
        ).all()

    def run_version(self, year: int, month: int, version: int | None) -> SettlementRun | None:
        stmt = select(SettlementRun).where(SettlementRun.year == year, SettlementRun.month == month)
        stmt = (
            stmt.where(col(SettlementRun.is_current))
            if version is None
            else stmt.where(SettlementRun.version == version)
        )
        return self.session.exec(stmt).first()

    def next_version(self, year: int, month: int) -> int:
        top = self.session.exec(
            select(sa.func.max(SettlementRun.version)).where(
                SettlementRun.year == year, SettlementRun.month == month
            )
        ).one()
        return int(top or 0) + 1

    def hours(self, run_id: int) -> Sequence[SettlementHour]:
        return self.session.exec(
            select(SettlementHour)
            .where(SettlementHour.run_id == run_id)
            .order_by(col(SettlementHour.hour_ending))
        ).all()

    def holder_months(self, run_id: int) -> Sequence[SettlementHolderMonth]:
        return self.session.exec(
            select(SettlementHolderMonth)
            .where(SettlementHolderMonth.run_id == run_id)
            .order_by(col(SettlementHolderMonth.participant_id))
        ).all()

    def holder_month(self, run_id: int, participant_id: int) -> SettlementHolderMonth | None:
        return self.session.get(SettlementHolderMonth, (run_id, participant_id))

    def holder_hours(self, run_id: int, participant_id: int) -> Sequence[SettlementHolderHour]:
        return self.session.exec(
            select(SettlementHolderHour)
            .where(
                SettlementHolderHour.run_id == run_id, SettlementHolderHour.participant_id == participant_id
            )
            .order_by(col(SettlementHolderHour.hour_ending))
        ).all()

    def changes(self, run_id: int) -> Sequence[SettlementChange]:
        return self.session.exec(
            select(SettlementChange)
            .where(SettlementChange.run_id == run_id)
            .order_by(col(SettlementChange.participant_id), col(SettlementChange.amount))
        ).all()

    # ------------------------------------------------------------------ year end
    def latest_year_end(self, year: int) -> SettlementYearEnd | None:
        return self.session.exec(
            select(SettlementYearEnd)
            .where(SettlementYearEnd.year == year)
            .order_by(col(SettlementYearEnd.version).desc())
        ).first()

    def year_end_shares(self, year_end_id: int) -> Sequence[SettlementYearEndShare]:
        return self.session.exec(
            select(SettlementYearEndShare)
            .where(SettlementYearEndShare.year_end_id == year_end_id)
            .order_by(col(SettlementYearEndShare.participant_id))
        ).all()

    def runs_of_job(self, job_id: int) -> list[int]:
        rows = self.session.exec(
            select(SettlementRun.id).where(SettlementRun.job_id == job_id).order_by(col(SettlementRun.month))
        ).all()
        return [int(r) for r in rows if r is not None]
