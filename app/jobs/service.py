"""The OI's use cases on a job of any kind: cancel it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.audit.service import actor_of, record_audit
from app.errors import NotFound
from app.jobs.repository import JobRepository
from app.jobs.runner import request_cancel
from app.jobs.status import JobKind
from app.jobs.tables import Job


class JobService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = JobRepository(session)

    def cancel(self, job_id: int, kind: JobKind, *, by: int, now: datetime) -> Job:
        """Cancel the job: a queued one at once, a running one at its next progress point (it stores
        nothing). Cancelling a finished job changes nothing; 404 if there is no such job of ``kind``."""
        job = self.repo.lock(job_id)
        if job is None or job.kind != kind:
            raise NotFound(f"{kind.value} job {job_id} not found")
        before = job.status
        request_cancel(self.session, job, now)
        if job.status != before or job.cancel_requested_at == now:
            record_audit(
                self.session,
                actor_of(by),
                "job.cancel",
                {"job_id": job_id, "kind": kind.value, "status_before": before},
                at=now,
            )
        return job
