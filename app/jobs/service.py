"""The OI's use cases on a job of any kind: cancel it, retry it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.audit.service import actor_of, record_audit
from app.errors import InvalidStep, JobAlreadyRunning, NotFound
from app.jobs.repository import JobRepository
from app.jobs.runner import Runner, enqueue, request_cancel
from app.jobs.status import JobKind, JobStatus
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

    def retry(self, job_id: int, kind: JobKind, *, by: int, now: datetime, jobs: Runner) -> Job:
        """A new job from a failed or cancelled job's stored inputs (same kind, auction or year,
        month, parameters, reason), queued and audited (``job.retry``). 404 if there is no such
        job of ``kind``; 409 if it did not fail and was not cancelled, or if a job of the same
        subject is queued or running. The task checks its own preconditions when it runs (e.g. a
        clearing refuses a posted auction)."""
        old = self.repo.lock(job_id)
        if old is None or old.kind != kind:
            raise NotFound(f"{kind.value} job {job_id} not found")
        if old.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise InvalidStep(
                f"{kind.value} job {job_id} is {old.status}: only a failed or cancelled job can be retried",
                extensions={"job_status": old.status},
            )
        unfinished = self.repo.unfinished(
            kind,
            auction_id=old.auction_id if kind != JobKind.SETTLEMENT else None,
            year=old.year if kind == JobKind.SETTLEMENT else None,
        )
        if unfinished is not None:
            raise JobAlreadyRunning(
                f"{kind.value} job {unfinished.id} {unfinished.status} for the same "
                f"{'year' if kind == JobKind.SETTLEMENT else 'auction'}: wait for it or cancel it",
                extensions={"job_id": unfinished.id, "job_status": unfinished.status},
            )
        job = self.repo.add(
            Job(
                kind=kind,
                status=JobStatus.QUEUED,
                auction_id=old.auction_id,
                year=old.year,
                month=old.month,
                reason=old.reason,
                parameters=old.parameters,
                requested_by_id=by,
                created_at=now,
                log=f"{now.isoformat()} retry of job {job_id} ({old.status}: {old.error or 'no error'})\n",
            )
        )
        assert job.id is not None
        record_audit(
            self.session,
            actor_of(by),
            "job.retry",
            {"job_id": job.id, "retry_of": job_id, "kind": kind.value, "status_before": old.status},
            at=now,
        )
        enqueue(self.session, jobs, job.id)
        return job
