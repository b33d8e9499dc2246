"""Every query on clearing results (the jobs are in :mod:`app.jobs.repository`)."""

from __future__ import annotations

from collections.abc import Sequence

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

    def add_fills(self, rows: Sequence[BidFill]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def add_nodal_prices(self, rows: Sequence[NodalPrice]) -> None:
        self.session.add_all(rows)
        self.session.flush()

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
