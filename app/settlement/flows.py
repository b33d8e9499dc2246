"""The settlement flow: queue a job, snapshot the inputs, settle (and re-flow), store everything at once.

    start_settlement (request)    month in order, inputs present, no other job of the year -> job queued,
                                  enqueued after commit
    settle_month_job (task)       running -> snapshot (input sets, holdings snapshot, year state before)
                                  -> settle the month and every later settled month of the year
                                  (settlement.revision.resettle) -> for each month replaced, recompute the
                                  old version from its stored inputs and diff it
                                  (settlement.revision.holder_differences)
                                  -> ONE transaction: new run versions (old ones kept, no longer current),
                                  their statements and differences, the ``settlement.run`` audit link
                                  (runs with their input sets and input/result hashes), job succeeded

Months of a year settle in order (OA 5.2.6(b) needs the year to date): a year's first settled month
may be any month (a service starting mid-year); after that a month is either already settled
(re-settled as a new version) or the next one. The engine runs outside any transaction; a failure
at any point stores no run. The task is in :mod:`app.settlement.tasks`.
"""

from __future__ import annotations

from sqlmodel import Session

from app.clock import Clock
from app.jobs import Job, JobKind, JobStatus, Runner, enqueue
from app.jobs.repository import JobRepository
from app.settlement.errors import SettlementJobRunning
from app.settlement.repository import SettlementRepository
from app.settlement.tasks import check_month_inputs, months_to_settle


def start_settlement(
    session: Session,
    *,
    year: int,
    month: int,
    reason: str,
    requested_by: int,
    clock: Clock,
    jobs: Runner,
) -> Job:
    """Queue a job settling ``(year, month)`` (re-settling it, and re-flowing later months, if settled)."""
    repo = SettlementRepository(session)
    repo.lock_year(year)
    if JobRepository(session).unfinished(JobKind.SETTLEMENT, year=year) is not None:
        raise SettlementJobRunning(f"a settlement job for {year} is already queued or running")
    for m in months_to_settle(repo.current_runs(year), year, month):
        check_month_inputs(session, year, m)
    job = JobRepository(session).add(
        Job(
            kind=JobKind.SETTLEMENT,
            year=year,
            month=month,
            status=JobStatus.QUEUED,
            reason=reason,
            requested_by_id=requested_by,
            created_at=clock.now(),
        )
    )
    assert job.id is not None
    enqueue(session, jobs, job.id)
    return job
