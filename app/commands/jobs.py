"""``ftr jobs``: the OI's job commands, the same services as the API's job routes.

    ftr jobs list [--kind K] [--status S] [--auction ID] [--since ISO] [--limit N]
    ftr jobs show ID
    ftr jobs retry ID --operator NAME
    ftr jobs cancel ID --operator NAME

``retry`` and ``cancel`` are audited (``job.retry``, ``job.cancel``, the operator as actor) and refused
as the API refuses them (a job that did not fail cannot be retried, one job of a subject at a time, a
posted auction's clearing is not retried): exit 2 with the problem's title and detail. With the
PostgreSQL queue (``FTR_JOB_QUEUE=postgres``) ``retry`` queues the new job for the workers; with the
in-process runner (the embedded service) it runs the job here to its end, prints it, and exits 1 if
it did not succeed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from sqlmodel import Session

import app.bids.award_credit  # (a settled month releases its awards' credit, in the run's transaction)
import app.clearing.tasks
import app.forecast.tasks
import app.settlement.tasks  # noqa: F401  (the task bodies register themselves)
from app.clearing.flows import retry_clearing
from app.clock import Clock, MovableClock, SystemClock
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import NotFound, ServiceError
from app.jobs import Job, JobKind, JobRunner, JobStatus, Runner
from app.jobs.listing import HREF, JobFilter, page_jobs, retry_of
from app.jobs.queue import Queue
from app.jobs.repository import JobRepository
from app.jobs.service import JobService
from app.market_clock.service import sync_market_clock
from app.paging import Pagination
from app.participants.repository import ParticipantRepository
from app.participants.roles import Role
from app.settings import MarketClockMode, Settings
from app.settlement.service import SettlementService

PAGE = 500


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("jobs", help="list, show, retry and cancel jobs (OI)")
    commands = parser.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    listing = commands.add_parser("list", help="jobs, oldest first")
    listing.add_argument("--kind", choices=[k.value for k in JobKind])
    listing.add_argument("--status", choices=[s.value for s in JobStatus])
    listing.add_argument("--auction", type=int, help="the auction's jobs (clearing, forecast)")
    listing.add_argument("--since", type=_instant, help="created at or after (ISO 8601 with offset)")
    listing.add_argument("--limit", type=int, default=None, help="at most this many (the oldest first)")
    listing.set_defaults(func=run_list)
    show = commands.add_parser("show", help="one job: status, progress, error, hashes and log")
    show.add_argument("job_id", type=int, metavar="ID")
    show.set_defaults(func=run_show)
    retry = commands.add_parser("retry", help="run a failed or cancelled job again from its inputs")
    retry.add_argument("job_id", type=int, metavar="ID")
    retry.add_argument("--operator", required=True, help="name of the OI participant retrying it")
    retry.set_defaults(func=run_retry)
    cancel = commands.add_parser("cancel", help="cancel a queued or running job")
    cancel.add_argument("job_id", type=int, metavar="ID")
    cancel.add_argument("--operator", required=True, help="name of the OI participant cancelling it")
    cancel.set_defaults(func=run_cancel)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (e.g. 2027-01-05T00:00:00+00:00)")
    return value


def _clock(settings: Settings) -> Clock:
    movable = settings.market_clock_mode is MarketClockMode.MOVABLE
    return MovableClock(SystemClock()) if movable else SystemClock()


def _line(job: Job) -> str:
    subject = f"auction {job.auction_id}" if job.auction_id is not None else f"{job.year}-{job.month:02d}"
    error = f"  {job.error}" if job.error else ""
    created = job.created_at.isoformat(timespec="seconds")
    return f"{job.id:>7}  {job.kind:<10} {job.status:<9} {subject:<14} {created}  {job.phase or '-'}{error}"


def run_list(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        print("ftr jobs list: --limit must be at least 1", file=sys.stderr)
        return 2
    filters = JobFilter(
        kind=JobKind(args.kind) if args.kind else None,
        status=JobStatus(args.status) if args.status else None,
        auction_id=args.auction,
        created_since=args.since,
    )
    engine = command_engine()
    shown = 0
    cursor: str | None = None
    try:
        with transaction(engine) as session:
            while True:
                size = PAGE if args.limit is None else min(PAGE, args.limit - shown)
                found = page_jobs(session, filters, Pagination(limit=size, cursor=cursor))
                for (job,) in found.rows:
                    print(_line(job))
                shown += len(found.rows)
                cursor = found.next_cursor
                if cursor is None or (args.limit is not None and shown >= args.limit):
                    break
            print(f"{shown} of {found.total} jobs", file=sys.stderr)
    finally:
        engine.dispose()
    return 0


def run_show(args: argparse.Namespace) -> int:
    engine = command_engine()
    try:
        with transaction(engine) as session:
            job = JobRepository(session).get(args.job_id)
            if job is None:
                return report(NotFound(f"job {args.job_id} not found"))
            _print_job(job)
    finally:
        engine.dispose()
    return 0


def _print_job(job: Job) -> None:
    assert job.id is not None
    print(_line(job))
    rows = [
        ("href", HREF[JobKind(job.kind)].format(id=job.id)),
        ("retry of", retry_of(job)),
        ("progress", f"{job.progress:.0%}"),
        ("rows", job.rows),
        ("elapsed s", f"{job.elapsed_s:.2f}" if job.elapsed_s is not None else None),
        ("started", job.started_at.isoformat() if job.started_at else None),
        ("finished", job.finished_at.isoformat() if job.finished_at else None),
        ("input hash", job.input_hash),
        ("result hash", job.result_hash),
        ("error", job.error),
    ]
    for name, value in rows:
        if value is not None:
            print(f"  {name:<12} {value}")
    print("  log:")
    for line in job.log.splitlines():
        print(f"    {line}")


def _operator_id(session: Session, name: str) -> int | None:
    operator = ParticipantRepository(session).get_by_name(name)
    if operator is None or operator.role != Role.OPERATOR.value or operator.id is None:
        return None
    return operator.id


def _retry(session: Session, job: Job, *, by: int, clock: Clock, jobs: Runner) -> Job:
    """The retry of ``job`` by the service the API's route of its kind calls."""
    assert job.id is not None
    kind = JobKind(job.kind)
    if kind is JobKind.CLEARING:
        return retry_clearing(session, job_id=job.id, requested_by=by, clock=clock, jobs=jobs)
    if kind is JobKind.SETTLEMENT:
        return SettlementService(session).retry_job(job.id, by=by, now=clock.now(), jobs=jobs)
    return JobService(session).retry(job.id, kind, by=by, now=clock.now(), jobs=jobs)


def run_retry(args: argparse.Namespace) -> int:
    settings = Settings()
    engine = command_engine(settings)
    clock = _clock(settings)
    sync_market_clock(engine, clock)
    on_queue = settings.job_queue == "postgres"
    runner: Runner = (
        Queue(settings.database_url, engine, clock=clock) if on_queue else JobRunner(engine, clock)
    )
    try:
        with transaction(engine) as session:
            by = _operator_id(session, args.operator)
            if by is None:
                print(f"error: {args.operator!r} is not an operator participant", file=sys.stderr)
                return 2
            old = JobRepository(session).get(args.job_id)
            if old is None:
                return report(NotFound(f"job {args.job_id} not found"))
            new = _retry(session, old, by=by, clock=clock, jobs=runner)
            new_id = new.id
        print(f"{old.kind} job {new_id} queued (retry of job {args.job_id})", flush=True)
        runner.wait_idle()
        if on_queue:
            return 0
        with transaction(engine) as session:
            done = JobRepository(session).get(new_id) if new_id is not None else None
            assert done is not None
            _print_job(done)
            return 0 if done.status == JobStatus.SUCCEEDED else 1
    except ServiceError as exc:
        return report(exc)
    finally:
        runner.shutdown()
        engine.dispose()


def run_cancel(args: argparse.Namespace) -> int:
    settings = Settings()
    engine = command_engine(settings)
    clock = _clock(settings)
    sync_market_clock(engine, clock)
    try:
        with transaction(engine) as session:
            by = _operator_id(session, args.operator)
            if by is None:
                print(f"error: {args.operator!r} is not an operator participant", file=sys.stderr)
                return 2
            job = JobRepository(session).get(args.job_id)
            if job is None:
                return report(NotFound(f"job {args.job_id} not found"))
            job = JobService(session).cancel(args.job_id, JobKind(job.kind), by=by, now=clock.now())
            print(_line(job))
            if job.status == JobStatus.RUNNING:
                print("  cancellation requested: it stops at its next progress point", file=sys.stderr)
    except ServiceError as exc:
        return report(exc)
    finally:
        engine.dispose()
    return 0
