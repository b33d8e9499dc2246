"""Reading forecast jobs: the OI and auditors only (a forecast is about unposted results)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.errors import NotFound
from app.jobs import Job, JobKind
from app.jobs.repository import JobRepository
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

    def jobs(self, caller: Caller, auction_id: int, *, limit: int, offset: int) -> tuple[Sequence[Job], int]:
        if (
            caller.role not in READ_ALL_ROLES
            or AuctionRepository(self.session).readable(caller, auction_id) is None
        ):
            raise NotFound(f"auction {auction_id} has no forecast jobs visible to you")
        return self.repo.page_of_auction(JobKind.FORECAST, auction_id, limit=limit, offset=offset)
