"""Jobs on PostgreSQL through Procrastinate: the API defers, ``ftr worker`` processes run them.

The ``job`` table stays the one record of a job's status, progress, log and result; Procrastinate's
own tables are only the transport (which worker has which job, heartbeats, locks). A deferred
Procrastinate job carries one argument, the ``job`` row's id, and runs the same
:func:`app.jobs.runner.run_job` as the in-process runner.

    deferring       :meth:`Queue.enqueue` inserts the queue entry in the request's own transaction
                    (Procrastinate's ``procrastinate_defer_jobs_v1``), so the job row and its queue
                    entry commit together: a process dying between the two cannot leave a
                    ``queued`` row that no worker will ever see. Workers are notified at commit.
    one at a time   the service refuses (409) a second unfinished job of one subject (a clearing's
                    or a forecast's auction, a settlement's year) under the subject's row lock, in
                    the transaction that creates the job. On the queue, the subject (:func:`subject`,
                    ``clearing:auction:7``: one clearing job clears both class auctions of the
                    month) is also the job's Procrastinate ``queueing_lock`` (at most one job of the
                    subject waiting: a second defer is refused with 409 naming the waiting job) and
                    its ``lock`` (at most one running). A queue entry left waiting by a job the OI
                    cancelled is dropped when the next job of the subject is deferred.
    stalled jobs    a worker whose heartbeat is older than ``FTR_JOB_STALLED_S`` is dead: each worker
                    looks for such jobs every heartbeat and queues them again; the re-run takes over
                    the ``running`` row (:func:`app.jobs.runner.run_job` with ``takeover``) and
                    stores its results at most once (the store locks the row and checks it)
    transient       a job stopped by a lost or refused database connection is retried by
    failures        Procrastinate (:data:`RETRY`: at most :data:`TRANSIENT_RETRIES` more attempts,
                    7, 9, 13 s apart); the retry takes the row over and runs from the stored inputs.
                    Any other failure fails the job; a transient one with the retries spent fails it
                    at once (``transient failure (...), the queue's retries spent``), the worker
                    waiting for the database to record it (:func:`app.jobs.runner.record_end`)
    orphans         a job whose queue entry ended (failed, cancelled) while the row is still
                    unfinished (its worker could not record the end: the database stayed away) is
                    failed by any worker's sweep, every heartbeat (:meth:`Queue.fail_orphans`)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import procrastinate
import sqlalchemy as sa
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.clock import Clock, SystemClock
from app.errors import JobAlreadyRunning
from app.jobs import isolation
from app.jobs.repository import JobRepository
from app.jobs.runner import TRANSIENT, RetriesSpent, TransientJobError, record_end, run_job
from app.jobs.status import JobKind, JobStatus
from app.jobs.tables import Job

logger = logging.getLogger("app.jobs.queue")

TASK_NAME = "ftr.run_job"
QUEUE = "ftr"
TRANSIENT_RETRIES = 3
RETRY = procrastinate.RetryStrategy(
    max_attempts=TRANSIENT_RETRIES, wait=5, exponential_wait=2, retry_exceptions={TransientJobError}
)

_DEFER = sa.text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :lock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))"
)
_WAITING = sa.text(
    "SELECT id, args->>'job_id' FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo'"
)
_DROP = sa.text("SELECT procrastinate_cancel_job_v1(:id, false, true)")
_ORPHANS = sa.text(
    "SELECT j.id FROM job j WHERE j.status IN ('queued', 'running') "
    "AND EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.args = jsonb_build_object('job_id', j.id) "
    "AND p.status IN ('failed', 'cancelled', 'aborted')) "
    "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.args = jsonb_build_object('job_id', j.id) "
    "AND p.status IN ('todo', 'doing', 'succeeded'))"
)
ORPHANED = "its queue entry ended without the job's end being recorded (the database was away)"


class Orphaned(Exception):
    """A job whose queue entry ended while its row stayed unfinished."""


def subject(job: Job) -> str:
    """What a job works on, one job at a time: ``clearing:auction:7``, ``forecast:auction:7``,
    ``settlement:year:2027`` (the queueing lock and the lock of its queue entry)."""
    if job.kind == JobKind.SETTLEMENT:
        return f"{job.kind}:year:{job.year}"
    return f"{job.kind}:auction:{job.auction_id}"


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (its query, e.g. ``options``, kept)."""
    url = make_url(database_url)
    parts: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    parts.update({k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()})
    return make_conninfo(**{k: v for k, v in parts.items() if v is not None})


class Queue:
    """One Procrastinate app bound to the service's database and its job runner."""

    def __init__(
        self,
        database_url: str,
        engine: Engine,
        *,
        clock: Clock | None = None,
        connect_args: dict[str, Any] | None = None,
        before_job: Callable[[], None] | None = None,
        isolate: bool = True,
        preload: str | None = None,
    ) -> None:
        self.engine = engine
        self.isolate = isolate
        self.preload = preload
        self.clock = clock if clock is not None else SystemClock()
        self.before_job = before_job
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=conninfo(database_url), kwargs=dict(connect_args or {}), min_size=1, max_size=4
            )
        )
        self.app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=RETRY)(self._run)

    def _run(self, context: procrastinate.JobContext, job_id: int) -> None:
        attempts = context.job.attempts if context.job is not None else 0
        retry_transient = attempts < TRANSIENT_RETRIES
        try:
            if self.before_job is not None:  # e.g. take the stored market clock
                self.before_job()
            run_job(
                self.engine,
                self.clock,
                job_id,
                takeover=attempts > 0,
                retry_transient=retry_transient,
                queued=True,
                isolate=self.isolate,
            )
        except TRANSIENT as exc:  # the database away before the task started, or while recording
            if retry_transient:
                raise TransientJobError(f"job {job_id}: {type(exc).__name__}") from exc
            logger.warning("job %s: transient failure (%s), retries spent", job_id, type(exc).__name__)
            record_end(self.engine, self.clock, job_id, RetriesSpent(exc))

    def fail_orphans(self) -> list[int]:
        """Fail every unfinished job whose queue entry ended without its end recorded; their ids."""
        with self.engine.connect() as conn:
            ids = [int(row[0]) for row in conn.execute(_ORPHANS)]
        for job_id in ids:
            logger.warning("job %s: its queue entry ended, the row unfinished: failed", job_id)
            record_end(self.engine, self.clock, job_id, Orphaned(ORPHANED), patience_s=0.0)
        return ids

    # ---------------------------------------------------------------- the API side
    def enqueue(self, session: Session, job_id: int) -> None:
        """Defer the job in ``session``'s transaction; 409 if a job of its subject already waits."""
        job = JobRepository(session).get(job_id)
        assert job is not None
        lock = subject(job)
        args = json.dumps({"job_id": job_id})
        for _ in range(2):
            try:
                with session.begin_nested():
                    session.connection().execute(
                        _DEFER, {"queue": QUEUE, "task": TASK_NAME, "lock": lock, "args": args}
                    )
                return
            except sa.exc.IntegrityError:
                waiting = session.connection().execute(_WAITING, {"lock": lock}).first()
                if waiting is None:
                    continue  # the waiting one was just taken by a worker
                other = JobRepository(session).get(int(waiting[1]))
                if other is not None and not JobStatus(other.status).finished:
                    raise JobAlreadyRunning(
                        f"{job.kind} job {other.id} ({lock}) is already queued: "
                        "one job of the same subject at a time",
                        extensions={"job_id": other.id, "job_status": other.status, "queueing_lock": lock},
                    ) from None
                session.connection().execute(_DROP, {"id": int(waiting[0])})  # cancelled while waiting
        raise JobAlreadyRunning(f"{job.kind} job {job_id} could not be queued ({lock}): try again")

    def wait_idle(self, timeout: float | None = None) -> None:
        """Nothing to wait for in this process: the workers run the jobs."""

    def shutdown(self) -> None:
        """Nothing held open between requests."""

    # ---------------------------------------------------------------- the worker side
    async def _retry_stalled(self, stalled_s: float, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                for job in await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_s):
                    logger.warning("job %s of a dead worker: queued again", job.id)
                    await self.app.job_manager.retry_job(job)
                await asyncio.to_thread(self.fail_orphans)
            except Exception:  # a passing database error must not stop the worker
                logger.exception("looking for stalled jobs failed")

    async def work(self, *, concurrency: int, heartbeat_s: float, stalled_s: float) -> None:
        """Run jobs until cancelled (``ftr worker``)."""
        if self.isolate and self.preload is not None:  # the solves' fork server, before any job
            await asyncio.to_thread(isolation.warm, self.preload)
        async with self.app.open_async():
            watcher = asyncio.create_task(self._retry_stalled(stalled_s, heartbeat_s))
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=concurrency,
                    update_heartbeat_interval=heartbeat_s,
                    stalled_worker_timeout=stalled_s,
                    fetch_job_polling_interval=heartbeat_s,
                    install_signal_handlers=True,
                )
            finally:
                watcher.cancel()
