"""Jobs on PostgreSQL through Procrastinate: the API defers, ``ftr worker`` processes run them.

The ``job`` table stays the one record of a job's status, progress, log and result; Procrastinate's
own tables are only the transport (which worker has which job, heartbeats, locks). A deferred
Procrastinate job carries one argument, the ``job`` row's id, and runs the same
:func:`app.jobs.runner.run_job` as the in-process runner.

    one at a time   the service refuses (409) a second unfinished job of one subject (a clearing's
                    or a forecast's auction, a settlement's year) under the subject's row lock, in
                    the transaction that creates the job; Procrastinate's ``lock`` (the subject)
                    also keeps two of its jobs from running at once. Procrastinate's
                    ``queueing_lock`` is not used: a job cancelled while queued stays in its queue
                    until a worker skips it, and would refuse the next job of the subject after
                    the job row had been committed
    stalled jobs    a worker whose heartbeat is older than ``FTR_JOB_STALLED_S`` is dead: each worker
                    looks for such jobs every heartbeat and queues them again; the re-run takes over
                    the ``running`` row (:func:`app.jobs.runner.run_job` with ``takeover``) and
                    stores its results at most once (the store locks the row and checks it)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import procrastinate
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import Engine, make_url

from app.clock import Clock, SystemClock
from app.db import transaction
from app.jobs.repository import JobRepository
from app.jobs.runner import run_job
from app.jobs.status import JobKind

logger = logging.getLogger("app.jobs.queue")

TASK_NAME = "ftr.run_job"
QUEUE = "ftr"


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
    ) -> None:
        self.engine = engine
        self.clock = clock if clock is not None else SystemClock()
        self.before_job = before_job
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=conninfo(database_url), kwargs=dict(connect_args or {}), min_size=1, max_size=4
            )
        )
        self.app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)(self._run)

    def _run(self, context: procrastinate.JobContext, job_id: int) -> None:
        attempts = context.job.attempts if context.job is not None else 0
        if self.before_job is not None:  # e.g. take the stored market clock
            self.before_job()
        run_job(self.engine, self.clock, job_id, takeover=attempts > 0)

    # ---------------------------------------------------------------- the API side
    def submit(self, job_id: int) -> None:
        """Defer the job (called after the row committed)."""
        with transaction(self.engine) as session:
            job = JobRepository(session).get(job_id)
            assert job is not None
            subject = f"{job.kind}:{job.auction_id if job.kind != JobKind.SETTLEMENT else job.year}"
        with self.app.open():
            self.app.configure_task(TASK_NAME, lock=subject).defer(job_id=job_id)

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
            except Exception:  # a passing database error must not stop the worker
                logger.exception("looking for stalled jobs failed")

    async def work(self, *, concurrency: int, heartbeat_s: float, stalled_s: float) -> None:
        """Run jobs until cancelled (``ftr worker``)."""
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
