"""Reading forecast jobs: the OI and auditors only (a forecast is about unposted results)."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.errors import NotFound
from app.jobs import Job, JobKind
from app.jobs.listing import JobFilter, page_jobs
from app.jobs.repository import JobRepository
from app.paging import KeyedPage, Pagination
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller


class ForecastService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = JobRepository(session)

    def job(self, caller: Caller, job_id: int) -> Job:
        job = self.repo.get(job_id, JobKind.FORECAST)
        if job is None or caller.role not in READ_ALL_ROLES:
            raise NotFound(f"forecast job {job_id} not found")
        return job

    def jobs(self, caller: Caller, auction_id: int, filters: JobFilter, page: Pagination) -> KeyedPage:
        """The auction's forecast jobs (``filters``' status and creation time), rows ``(Job,)``."""
        if (
            caller.role not in READ_ALL_ROLES
            or AuctionRepository(self.session).readable(caller, auction_id) is None
        ):
            raise NotFound(f"auction {auction_id} has no forecast jobs visible to you")
        mine = replace(filters, kind=JobKind.FORECAST, auction_id=auction_id)
        return page_jobs(self.session, mine, page, "forecast-jobs")
