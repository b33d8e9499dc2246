"""The OI's list of jobs: filtered by kind, status, auction and creation time, paged by cursor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from api_schemas.clearing import JobStatusName
from api_schemas.jobs import JobKindName, JobPublic
from app.jobs.status import JobKind, JobStatus
from app.jobs.tables import Job
from app.paging import KeyedPage, Pagination, page_by_key

_RETRY_OF = re.compile(r"^\S+ retry of job (\d+) ")

HREF = {
    JobKind.CLEARING: "/api/v1/clearing-jobs/{id}",
    JobKind.SETTLEMENT: "/api/v1/settlement/jobs/{id}",
    JobKind.FORECAST: "/api/v1/forecast-jobs/{id}",
}


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Which jobs a list shows; ``None`` is no filter. ``created_since`` includes that instant."""

    kind: JobKind | None = None
    status: JobStatus | None = None
    auction_id: int | None = None
    created_since: datetime | None = None


def page_jobs(session: Session, filters: JobFilter, page: Pagination, list_name: str = "jobs") -> KeyedPage:
    """One page of the jobs ``filters`` selects, in id order (oldest first); rows are ``(Job,)``."""
    stmt = select(Job)
    if filters.kind is not None:
        stmt = stmt.where(Job.kind == filters.kind)
    if filters.status is not None:
        stmt = stmt.where(Job.status == filters.status)
    if filters.auction_id is not None:
        stmt = stmt.where(Job.auction_id == filters.auction_id)
    if filters.created_since is not None:
        stmt = stmt.where(col(Job.created_at) >= filters.created_since)
    return page_by_key(session, stmt, col(Job.id), page, list_name)


def retry_of(job: Job) -> int | None:
    """The id of the job ``job`` retries (its first log line names it), or ``None``."""
    found = _RETRY_OF.match(job.log)
    return int(found.group(1)) if found else None


def job_summary(job: Job, now: datetime) -> JobPublic:
    assert job.id is not None
    end = job.finished_at or (now if job.started_at else None)
    kind = JobKind(job.kind)
    return JobPublic(
        id=job.id,
        kind=JobKindName(kind.value),
        status=JobStatusName(job.status),
        auction_id=job.auction_id,
        year=job.year,
        month=job.month,
        progress=job.progress,
        phase=job.phase,
        elapsed_s=(end - job.started_at).total_seconds() if job.started_at and end else None,
        error=job.error,
        retry_of=retry_of(job),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        href=HREF[kind].format(id=job.id),
    )
