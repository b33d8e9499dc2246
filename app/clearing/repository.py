"""Every query on clearing jobs and clearing results."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.bid_fills import BidFill
from app.clearing.tables import BindingConstraint, ClearingJob, NodalPrice

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"


class ClearingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def job(self, job_id: int) -> ClearingJob | None:
        return self.session.get(ClearingJob, job_id)

    def jobs_of(self, auction_id: int) -> Sequence[ClearingJob]:
        return self.session.exec(
            select(ClearingJob).where(ClearingJob.auction_id == auction_id).order_by(col(ClearingJob.id))
        ).all()

    def unfinished_job(self, auction_id: int) -> ClearingJob | None:
        return self.session.exec(
            select(ClearingJob).where(
                ClearingJob.auction_id == auction_id, col(ClearingJob.status).in_((QUEUED, RUNNING))
            )
        ).first()

    def save_job(self, job: ClearingJob) -> ClearingJob:
        self.session.add(job)
        self.session.flush()
        return job

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
