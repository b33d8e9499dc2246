"""Jobs of every kind (OI and auditors): ``/api/v1/jobs`` and ``/api/v1/jobs/{id}``.

Cancel and retry stay on each kind's route (``/api/v1/clearing-jobs/{id}/cancel``, ...), where the
kind's own preconditions are checked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api_schemas.clearing import JobStatusName
from api_schemas.common import Page
from api_schemas.jobs import JobKindName, JobPublic
from app.deps import ClockDep, CursorPageDep, JobReader, ObjectId, SessionDep
from app.errors import NotFound
from app.jobs import JobKind, JobStatus
from app.jobs.listing import JobFilter, job_summary, page_jobs
from app.jobs.repository import JobRepository

router = APIRouter(prefix="/api/v1", tags=["jobs"])

KindQuery = Annotated[JobKindName | None, Query(description="clearing, settlement or forecast")]
StatusQuery = Annotated[
    JobStatusName | None, Query(description="queued, running, succeeded, failed or cancelled")
]
SinceQuery = Annotated[
    AwareDatetime | None,
    Query(description="only jobs created at or after this instant (ISO 8601 with its UTC offset)"),
]


@router.get("/jobs", response_model=Page[JobPublic])
def list_jobs(
    caller: JobReader,
    session: SessionDep,
    clock: ClockDep,
    page: CursorPageDep,
    kind: KindQuery = None,
    status: StatusQuery = None,
    auction_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="the auction's jobs")] = None,
    created_since: SinceQuery = None,
) -> Page[JobPublic]:
    """Every job of the service, oldest first, filtered by kind, status, auction and creation time;
    paged by cursor (``next_cursor``) or offset (OI and auditors)."""
    filters = JobFilter(
        kind=JobKind(kind.value) if kind is not None else None,
        status=JobStatus(status.value) if status is not None else None,
        auction_id=auction_id,
        created_since=created_since,
    )
    found = page_jobs(session, filters, page)
    now = clock.now()
    return Page(
        items=[job_summary(row[0], now) for row in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )


@router.get("/jobs/{job_id}", response_model=JobPublic)
def read_job(job_id: ObjectId, caller: JobReader, session: SessionDep, clock: ClockDep) -> JobPublic:
    """A job of any kind, as the list shows it (OI and auditors); ``href`` names its kind's route."""
    job = JobRepository(session).get(job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job_summary(job, clock.now())
