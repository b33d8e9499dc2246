"""Background jobs of every kind (clearing, settlement, forecast): one table, one runner.

    status.py      :class:`JobStatus`, :class:`JobKind`
    tables.py      the ``job`` table: status, progress (phase, round, rows, elapsed), log, result
    repository.py  every query on the job table
    runner.py      the generic part: enqueue after commit, claim, progress, log, fail, finish,
                   the task registry and the in-process :class:`JobRunner`
    queue.py       the PostgreSQL queue (Procrastinate): the API defers in its transaction, with a
                   queueing lock per subject; ``ftr worker`` runs, retrying transient failures
    isolation.py   a long computation (the clearing solve) in a child process of the worker, so its
                   heartbeat is never starved
    service.py     cancelling and retrying a job (the OI)

The task bodies live beside their domain (``app/<domain>/tasks.py``) and register themselves with
:func:`app.jobs.runner.task`; this package never imports a domain folder.
"""

from app.jobs.runner import JobContext, JobRunner, Runner, enqueue, finish, run_job, task
from app.jobs.status import JobKind, JobStatus
from app.jobs.tables import Job

__all__ = [
    "Job",
    "JobContext",
    "JobKind",
    "JobRunner",
    "JobStatus",
    "Runner",
    "enqueue",
    "finish",
    "run_job",
    "task",
]
