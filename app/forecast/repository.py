"""Every query the forecast's reads need on its job table."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.forecast.tables import ForecastJob


class ForecastJobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, job_id: int) -> ForecastJob | None:
        return self.session.get(ForecastJob, job_id)

    def page_of_auction(
        self, auction_id: int, *, limit: int, offset: int
    ) -> tuple[Sequence[ForecastJob], int]:
        """One page of an auction's forecast jobs in id order, and how many there are (paged in SQL)."""
        where = ForecastJob.auction_id == auction_id
        total = self.session.exec(select(func.count()).select_from(ForecastJob).where(where)).one()
        rows = self.session.exec(
            select(ForecastJob).where(where).order_by(col(ForecastJob.id)).limit(limit).offset(offset)
        ).all()
        return rows, int(total)
