"""Every query on clearing results (the jobs are in :mod:`app.jobs.repository`).

A clearing stores tens of thousands of fills in its results transaction: on PostgreSQL they go in by
``COPY ... FROM STDIN`` (psycopg 3) on the session's own connection, in the same transaction; on
SQLite by one Core ``INSERT`` with many parameter sets. Neither builds an ORM object per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.bid_fills import BidFill
from app.clearing.tables import BindingConstraint, NodalPrice


class ClearingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def clear_results(self, class_auction_ids: Sequence[int]) -> None:
        ids = list(class_auction_ids)
        for table in (BidFill, NodalPrice, BindingConstraint):
            self.session.execute(delete(table).where(col(table.class_auction_id).in_(ids)))

    def add_fills(self, class_auction_id: int, rows: Iterable[tuple[int, int, int]]) -> None:
        """A class auction's fills: ``(bid_id, cleared_mw_tenths, clearing_price_cents)``."""
        self._bulk_insert(
            BidFill.__table__,  # type: ignore[attr-defined]
            ("bid_id", "class_auction_id", "cleared_mw_tenths", "clearing_price_cents"),
            ((bid, class_auction_id, mw, price) for bid, mw, price in rows),
        )

    def add_nodal_prices(self, class_auction_id: int, rows: Iterable[tuple[str, int]]) -> None:
        """A class auction's nodal prices: ``(point_id, price_cents)``."""
        self._bulk_insert(
            NodalPrice.__table__,  # type: ignore[attr-defined]
            ("class_auction_id", "point_id", "price_cents"),
            ((class_auction_id, point, cents) for point, cents in rows),
        )

    def _bulk_insert(
        self, table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        self.session.flush()
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            dbapi = connection.connection.dbapi_connection
            assert isinstance(dbapi, psycopg.Connection)
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        values = [dict(zip(columns, row, strict=True)) for row in rows]
        if values:
            connection.execute(sa.insert(table), values)

    def add_binding(self, rows: Sequence[BindingConstraint]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def nodal_prices(self, class_auction_id: int) -> Sequence[NodalPrice]:
        return self.session.exec(
            select(NodalPrice)
            .where(NodalPrice.class_auction_id == class_auction_id)
            .order_by(col(NodalPrice.point_id))
        ).all()

    def binding(self, class_auction_id: int) -> Sequence[BindingConstraint]:
        return self.session.exec(
            select(BindingConstraint)
            .where(BindingConstraint.class_auction_id == class_auction_id)
            .order_by(col(BindingConstraint.constraint_id), col(BindingConstraint.contingency_id))
        ).all()

    def fills(self, class_auction_id: int) -> Sequence[BidFill]:
        return self.session.exec(
            select(BidFill).where(BidFill.class_auction_id == class_auction_id).order_by(col(BidFill.bid_id))
        ).all()
