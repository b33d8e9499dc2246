"""Reading forecast jobs: the OI and auditors only (a forecast is about unposted results)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from api_schemas.clearing import JobStatusName
from api_schemas.forecast import ForecastJobPublic, ForecastRequest
from app.auctions.repository import AuctionRepository
from app.errors import NotFound
from app.forecast.report import report_public
from app.forecast.tables import ForecastJob
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller


def forecast_job_public(job: ForecastJob, now: datetime) -> ForecastJobPublic:
    assert job.id is not None
    end = job.finished_at or (now if job.started_at else None)
    elapsed = (end - job.started_at).total_seconds() if job.started_at and end else None
    return ForecastJobPublic(
        id=job.id,
        auction_id=job.auction_id,
        status=JobStatusName(job.status),
        progress=job.progress,
        elapsed_s=elapsed,
        log=[line for line in job.log.splitlines() if line],
        error=job.error,
        parameters=ForecastRequest.model_validate(json.loads(job.parameters)),
        report=report_public(job.report) if job.report else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


class ForecastService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def job(self, caller: Caller, job_id: int) -> ForecastJob:
        job = self.session.get(ForecastJob, job_id)
        if job is None or caller.role not in READ_ALL_ROLES:
            raise NotFound(f"forecast job {job_id} not found")
        return job

    def jobs(
        self, caller: Caller, auction_id: int, *, limit: int, offset: int
    ) -> tuple[Sequence[ForecastJob], int]:
        if (
            caller.role not in READ_ALL_ROLES
            or AuctionRepository(self.session).readable(caller, auction_id) is None
        ):
            raise NotFound(f"auction {auction_id} has no forecast jobs visible to you")
        jobs = self.session.exec(
            select(ForecastJob).where(ForecastJob.auction_id == auction_id).order_by(col(ForecastJob.id))
        ).all()
        return jobs[offset : offset + limit], len(jobs)
