"""Every query on the ``job`` table."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.jobs.status import UNFINISHED, JobKind, JobStatus
from app.jobs.tables import Job


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, job_id: int, kind: JobKind | None = None) -> Job | None:
        """The job, or ``None`` if there is none with that id (of that kind, when given)."""
        job = self.session.get(Job, job_id)
        return None if job is None or (kind is not None and job.kind != kind) else job

    def lock(self, job_id: int) -> Job | None:
        """The job row, locked for the rest of the transaction (PostgreSQL ``FOR UPDATE``)."""
        return self.session.exec(select(Job).where(Job.id == job_id).with_for_update()).first()

    def add(self, job: Job) -> Job:
        self.session.add(job)
        self.session.flush()
        return job

    def unfinished(
        self, kind: JobKind, *, auction_id: int | None = None, year: int | None = None
    ) -> Job | None:
        """A queued or running job of ``kind`` on the auction (or the settlement year), if any."""
        stmt = select(Job).where(Job.kind == kind, col(Job.status).in_(UNFINISHED))
        if auction_id is not None:
            stmt = stmt.where(Job.auction_id == auction_id)
        if year is not None:
            stmt = stmt.where(Job.year == year)
        return self.session.exec(stmt.order_by(col(Job.id))).first()

    def count_by_kind(self, status: JobStatus) -> dict[str, int]:
        """How many jobs of each kind are in ``status`` (queue depth: ``queued``)."""
        rows = self.session.exec(
            select(Job.kind, func.count()).where(Job.status == status).group_by(Job.kind)
        ).all()
        return {str(kind): int(n) for kind, n in rows}

    def run_times(self) -> list[tuple[str, str, float]]:
        """``(kind, status, seconds from start to finish)`` of every finished job that started."""
        rows = self.session.exec(
            select(Job.kind, Job.status, Job.started_at, Job.finished_at).where(
                col(Job.started_at).is_not(None), col(Job.finished_at).is_not(None)
            )
        ).all()
        return [
            (str(kind), str(status), max((finished - started).total_seconds(), 0.0))
            for kind, status, started, finished in rows
            if started is not None and finished is not None
        ]

    def all_unfinished(self) -> Sequence[Job]:
        return self.session.exec(select(Job).where(col(Job.status).in_(UNFINISHED))).all()

    def first_of_auction(self, kind: JobKind, *, auction_id: int, status: str) -> Job | None:
        """The auction's oldest job of ``kind`` in ``status``."""
        return self.session.exec(
            select(Job)
            .where(Job.kind == kind, Job.auction_id == auction_id, Job.status == status)
            .order_by(col(Job.id))
        ).first()

    def last_succeeded_of_auction(self, kind: JobKind, *, auction_id: int) -> Job | None:
        """The auction's newest job of ``kind`` that succeeded (and so has started)."""
        return self.session.exec(
            select(Job)
            .where(
                Job.kind == kind,
                Job.auction_id == auction_id,
                Job.status == JobStatus.SUCCEEDED,
                col(Job.started_at).is_not(None),
            )
            .order_by(col(Job.id).desc())
        ).first()
