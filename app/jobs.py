"""Background jobs: a small thread pool owned by the application.

Jobs are submitted only after the transaction that created their row committed (see
:func:`app.db.after_commit`), so a job never starts on data that may still roll back. A job
records its own progress in the database; the process dying mid-job leaves a ``running`` row that
start-up marks ``failed`` (:func:`mark_interrupted`). The clearing, settlement and forecast job
tables share the columns these helpers touch (``status``, ``error``, ``finished_at``, ``log``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.clock import Clock
from app.db import transaction

logger = logging.getLogger("app.jobs")

#: Job states shared by every job table.
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
INTERRUPTED = "interrupted: the service stopped while the job was unfinished"


def record_failure(engine: Engine, table: type[Any], job_id: int, clock: Clock, exc: BaseException) -> None:
    """Mark the job failed in a transaction of its own; the job's results were never stored."""
    with transaction(engine) as session:
        job = session.get(table, job_id)
        if job is not None:
            now = clock.now()
            job.status = FAILED
            job.error = f"{type(exc).__name__}: {exc}"
            job.finished_at = now
            job.log += f"{now.isoformat()} failed: {job.error}; nothing was stored\n"
            session.add(job)


def mark_interrupted(session: Session, table: type[Any], clock: Clock) -> int:
    """Mark every job a dead process left queued or running as failed; returns how many."""
    jobs = list(session.exec(select(table).where(col(table.status).in_((QUEUED, RUNNING)))).all())
    for job in jobs:
        job.status = FAILED
        job.error = INTERRUPTED
        job.finished_at = clock.now()
        session.add(job)
    return len(jobs)


class JobRunner:
    def __init__(self, max_workers: int = 1) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ftr-job")
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()

    def submit(self, fn: Callable[[], None]) -> Future[None]:
        future = self._executor.submit(self._run, fn)
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

    @staticmethod
    def _run(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            logger.exception("background job failed")
