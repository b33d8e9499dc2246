"""Background jobs: a small thread pool owned by the application.

Jobs are submitted only after the transaction that created their row committed (see
:func:`app.db.after_commit`), so a job never starts on data that may still roll back. A job
records its own progress in the database; the process dying mid-job leaves a ``running`` row that
start-up marks ``failed`` (see :func:`app.clearing.flows.recover_interrupted_jobs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

logger = logging.getLogger("app.jobs")


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
