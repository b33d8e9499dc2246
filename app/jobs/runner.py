"""The generic part of every job: enqueue after commit, claim, progress and log, fail, cancel, finish.

A job row is created by a service in the request's transaction and queued with it (:func:`enqueue`):
the in-process runner gets it only after that transaction committed, the PostgreSQL queue inserts
its queue entry in the same transaction; either way a job never starts on data that may still roll
back, and a committed job is never left unqueued.
The runner looks the job's task up by its kind (:func:`task` registers the bodies, which live in
``app/<domain>/tasks.py``) and calls it with a :class:`JobContext`:

    claim        ``queued`` -> ``running`` (a job already claimed, finished or cancelled is skipped)
    ctx.progress phase, round, rows, fraction and elapsed on the row, each in its own short transaction;
                 a cancellation requested by the OI stops the job here (:class:`JobCancelled`)
    ctx.log      a line of the job's log (never prices or keys)
    finish       in the task's store transaction: the row (locked) becomes ``succeeded`` with its
                 result; a cancellation requested meanwhile rolls the whole store back
    fail         any exception: ``failed`` with the error, in a transaction of its own; nothing of the
                 task's results was stored (they are written in one transaction with :func:`finish`).
                 A refusal of the service (e.g. ``bid-book-altered``) is recorded as its problem
                 type and detail. On the queue, a transient failure (the database connection lost)
                 is retried instead, a bounded number of times (:mod:`app.jobs.queue`)

Task bodies are long computations outside any transaction; they read their inputs in one snapshot
transaction and store everything in one more. Running a task again from its stored inputs gives the
same result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import psycopg
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.clock import Clock
from app.db import after_commit, transaction
from app.errors import ServiceError
from app.jobs.repository import JobRepository
from app.jobs.status import UNFINISHED, JobKind, JobStatus
from app.jobs.tables import Job

logger = logging.getLogger("app.jobs")

INTERRUPTED = "interrupted: the service stopped while the job was unfinished"


class JobCancelled(Exception):
    """Raised at a progress point (or at the store) of a job the OI cancelled."""


@dataclass
class JobContext:
    """What a task body gets: its job's id and kind, and the means to report progress."""

    engine: Engine
    clock: Clock
    job_id: int
    kind: JobKind
    isolate: bool = False
    """run long computations in a child process (:mod:`app.jobs.isolation`): queue workers and the
    embedded service's runner"""
    started: float = field(default_factory=time.monotonic)

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def progress(
        self,
        phase: str,
        *,
        round: int | None = None,
        rows: int | None = None,
        fraction: float | None = None,
        line: str | None = None,
    ) -> None:
        """Record the job's phase (and round, rows, fraction done, a log line); stop if cancelled."""
        values: dict[str, object] = {"phase": phase, "round": round}
        if rows is not None:
            values["rows"] = rows
        if fraction is not None:
            values["progress"] = fraction
        self._write(values, line)

    def log(self, line: str, fraction: float | None = None) -> None:
        """Append a line to the job's log (and set the fraction done); stop if cancelled."""
        self._write({} if fraction is None else {"progress": fraction}, line)

    def _write(self, values: dict[str, object], line: str | None) -> None:
        """One ``UPDATE`` of the job row (no read: the log is appended in SQL), only while it is
        not cancelled; no row updated means the OI cancelled it (:class:`JobCancelled`)."""
        values["elapsed_s"] = self.elapsed_s()
        if line is not None:
            values["log"] = col(Job.log) + f"{self.clock.now().isoformat()} {line}\n"
        stmt = (
            sa.update(Job)
            .where(
                col(Job.id) == self.job_id,
                col(Job.cancel_requested_at).is_(None),
                col(Job.status) != JobStatus.CANCELLED,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with transaction(self.engine) as session:
            if session.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
                raise JobCancelled(f"job {self.job_id} was cancelled")

    def update(self, **values: object) -> None:
        """Set columns of the job row (``input_hash`` once the inputs are read, ...)."""
        with transaction(self.engine) as session:
            job = session.get(Job, self.job_id)
            assert job is not None
            for name, value in values.items():
                setattr(job, name, value)
            session.add(job)


Task = Callable[[JobContext], None]
_TASKS: dict[JobKind, Task] = {}


def task(kind: JobKind) -> Callable[[Task], Task]:
    """Register ``fn`` as the body of jobs of ``kind`` (one per kind)."""

    def register(fn: Task) -> Task:
        _TASKS[kind] = fn
        return fn

    return register


def finish(session: Session, ctx: JobContext, now: datetime, line: str, **values: object) -> Job:
    """In the task's store transaction: the job ``succeeded`` (with ``values``); refused if cancelled."""
    job = JobRepository(session).lock(ctx.job_id)
    assert job is not None
    if job.cancel_requested_at is not None or job.status != JobStatus.RUNNING:
        raise JobCancelled(f"job {ctx.job_id} was cancelled (or taken over) before its results were stored")
    for name, value in values.items():
        setattr(job, name, value)
    job.status = JobStatus.SUCCEEDED
    job.progress = 1.0
    job.phase = "done"
    job.elapsed_s = ctx.elapsed_s()
    job.finished_at = now
    job.log += f"{now.isoformat()} {line}\n"
    session.add(job)
    return job


def claim(engine: Engine, clock: Clock, job_id: int, *, takeover: bool = False) -> Job | None:
    """``queued`` -> ``running``; ``None`` if the job is gone, finished or (unless ``takeover``: the
    queue hands over the job of a worker that stopped) already running."""
    with transaction(engine) as session:
        job = JobRepository(session).lock(job_id)
        if job is None:
            return None
        now = clock.now()
        if takeover and job.status == JobStatus.RUNNING:
            job.log += (
                f"{now.isoformat()} taken over: its previous run stopped (worker lost or transient "
                "failure); run again from its inputs\n"
            )
        elif job.status != JobStatus.QUEUED:
            return None
        job.status = JobStatus.RUNNING
        job.started_at = now
        job.phase = "started"
        session.add(job)
        return job


def _finish_unsuccessfully(engine: Engine, clock: Clock, job_id: int, exc: BaseException) -> None:
    with transaction(engine) as session:
        job = JobRepository(session).lock(job_id)
        if job is None or JobStatus(job.status).finished:
            return
        now = clock.now()
        job.finished_at = now
        if isinstance(exc, JobCancelled):
            job.status = JobStatus.CANCELLED
            job.log += f"{now.isoformat()} cancelled; nothing was stored\n"
        else:
            job.status = JobStatus.FAILED
            job.error = describe_failure(exc)
            job.log += f"{now.isoformat()} failed: {job.error}; nothing was stored\n"
        session.add(job)


RECORD_PATIENCE_S = 60.0
"""How long a worker keeps trying to record a job's end while the database is away."""


def record_end(
    engine: Engine, clock: Clock, job_id: int, exc: BaseException, *, patience_s: float = RECORD_PATIENCE_S
) -> None:
    """Record the job ``failed`` (or ``cancelled``) by ``exc``, retrying while the database is away
    (:data:`TRANSIENT`, waits of 0.5, 1, 2, 4, 8 s then 10 s) for up to ``patience_s``. If it never
    answers, the last transient error is raised; a worker's sweep (:func:`app.jobs.queue.Queue.fail_orphans`)
    ends the job once the database is back."""
    deadline = time.monotonic() + patience_s
    wait_s = 0.5
    while True:
        try:
            _finish_unsuccessfully(engine, clock, job_id, exc)
            return
        except TRANSIENT:
            if time.monotonic() + wait_s > deadline:
                raise
            logger.warning("job %s: the database is away, recording its end again in %.1f s", job_id, wait_s)
            time.sleep(wait_s)
            wait_s = min(wait_s * 2, 10.0)


def describe_failure(exc: BaseException) -> str:
    """A failed job's ``error``: the problem type and its detail for a refusal of the service
    (``bid-book-altered: the bid book of auction 7 is not the one sealed ...``), else the exception."""
    if isinstance(exc, ServiceError):
        return f"{exc.slug}: {exc.detail}"
    if isinstance(exc, RetriesSpent):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, psycopg.OperationalError, ConnectionError)
"""Failures the queue retries (:class:`TransientJobError`): the database connection lost or refused."""


class TransientJobError(Exception):
    """A job stopped by a transient failure (:data:`TRANSIENT`); the queue runs it again later."""


class RetriesSpent(Exception):
    """A transient failure on the queue's last attempt: the job fails for good, at once."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(
            f"transient failure ({type(exc).__name__}), the queue's retries spent: {exc}".splitlines()[0]
        )


def _note_transient(engine: Engine, clock: Clock, job_id: int, exc: BaseException) -> None:
    """Log the transient failure on the job if the database answers (it may not)."""
    try:
        with transaction(engine) as session:
            job = JobRepository(session).lock(job_id)
            if job is not None and job.status == JobStatus.RUNNING:
                job.log += (
                    f"{clock.now().isoformat()} transient failure ({type(exc).__name__}); "
                    "the queue runs the job again; nothing was stored\n"
                )
                session.add(job)
    except Exception:  # the database is still away: the retry's "taken over" line will say it
        logger.warning("job %s: could not log its transient failure", job_id)


def run_job(
    engine: Engine,
    clock: Clock,
    job_id: int,
    *,
    takeover: bool = False,
    retry_transient: bool = False,
    queued: bool = False,
    isolate: bool = False,
) -> None:
    """Run one job by its kind's task; a failure is recorded on the job. With ``retry_transient``
    (the queue, while its retry budget lasts) a :data:`TRANSIENT` failure is raised instead as
    :class:`TransientJobError`, the job row left ``running`` for the retry to take over; on the
    queue's last attempt (``queued`` without ``retry_transient``) it fails the job at once as
    :class:`RetriesSpent`, waiting for the database to record it (:func:`record_end`)."""
    job = claim(engine, clock, job_id, takeover=takeover)
    if job is None:
        return
    kind = JobKind(job.kind)
    body = _TASKS.get(kind)
    try:
        if body is None:
            raise LookupError(f"no task registered for {kind.value} jobs")
        body(JobContext(engine, clock, job_id, kind, isolate=isolate))
    except Exception as exc:  # recorded on the job: the worker must never die silently
        if retry_transient and isinstance(exc, TRANSIENT):
            logger.warning(
                "%s job %s: transient failure (%s), retried", kind.value, job_id, type(exc).__name__
            )
            _note_transient(engine, clock, job_id, exc)
            raise TransientJobError(f"{kind.value} job {job_id}: {type(exc).__name__}") from exc
        failure: BaseException = RetriesSpent(exc) if queued and isinstance(exc, TRANSIENT) else exc
        if not isinstance(exc, JobCancelled):
            logger.exception("%s job %s failed", kind.value, job_id)
        record_end(engine, clock, job_id, failure)


def request_cancel(session: Session, job: Job, now: datetime) -> Job:
    """Cancel a job (in the caller's transaction): a queued one at once, a running one at its next
    progress point (it stores nothing). A finished job is returned unchanged."""
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.CANCELLED
        job.finished_at = now
        job.log += f"{now.isoformat()} cancelled before it started\n"
    elif job.status == JobStatus.RUNNING and job.cancel_requested_at is None:
        job.cancel_requested_at = now
        job.log += f"{now.isoformat()} cancellation requested\n"
    session.add(job)
    session.flush()
    return job


def mark_interrupted(engine: Engine, clock: Clock) -> int:
    """Mark every job a dead single process left queued or running as failed; returns how many.

    Only for the embedded single-process service: with several processes on one database a job
    ``running`` may belong to a live process.
    """
    with transaction(engine) as session:
        jobs = list(JobRepository(session).all_unfinished())
        for job in jobs:
            assert job.status in UNFINISHED
            job.status = JobStatus.FAILED
            job.error = INTERRUPTED
            job.finished_at = clock.now()
            session.add(job)
        return len(jobs)


class Runner(Protocol):
    """Where committed jobs go: :class:`JobRunner` (in-process) or :class:`app.jobs.queue.Queue`."""

    def enqueue(self, session: Session, job_id: int) -> None:
        """Queue the job created in ``session``'s transaction (it runs only if that commits)."""
        ...

    def wait_idle(self, timeout: float | None = None) -> None: ...

    def shutdown(self) -> None: ...


class JobRunner:
    """Runs jobs in-process on a small thread pool (the embedded service and the command line).

    With ``isolate`` (the embedded service, ``FTR_JOB_SOLVE_PROCESS``) a task's long computation runs
    in a child process (:mod:`app.jobs.isolation`), as on a queue worker: the pool thread only waits
    on a pipe, so a solver holding the interpreter lock never stalls the requests the process serves.
    The task bodies are the same either way (:func:`run_job`)."""

    def __init__(self, engine: Engine, clock: Clock, max_workers: int = 1, *, isolate: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.isolate = isolate
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ftr-job")
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()

    def enqueue(self, session: Session, job_id: int) -> None:
        """Submit the job once ``session``'s transaction committed (never if it rolls back)."""

        def submit() -> None:
            self.submit(job_id)

        after_commit(session, submit)

    def submit(self, job_id: int) -> Future[None]:
        future = self._executor.submit(run_job, self.engine, self.clock, job_id, isolate=self.isolate)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until every submitted job has finished (tests and the CLI use it)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)


def enqueue(session: Session, runner: Runner, job_id: int) -> None:
    """Queue the job created in ``session``'s transaction: the in-process runner submits it after
    the commit; the PostgreSQL queue defers it in the same transaction (both or neither commit)."""
    runner.enqueue(session, job_id)
