"""The settlement flow: queue a job, snapshot the inputs, settle (and re-flow), store everything at once.

    start_settlement (request)    month in order, inputs present, no other job of the year -> job queued,
                                  enqueued after commit
    run_settlement_job (worker)   running -> snapshot (input sets, holdings snapshot, year state before)
                                  -> settle the month and every later settled month of the year
                                  (settlement.revision.resettle) -> for each month replaced, recompute the
                                  old version from its stored inputs and diff it
                                  (settlement.revision.holder_differences)
                                  -> each run's per-FTR-hour detail written to the file store
                                  outside any transaction (app.settlement.detail_file;
                                  content-addressed, so a failure later leaves at most an
                                  unreferenced file)
                                  -> ONE transaction: new run versions (old ones kept, no longer current),
                                  their statements and differences, the ``settlement.run`` audit link
                                  (runs with their input sets and input/result hashes), job succeeded

Months of a year settle in order (OA 5.2.6(b) needs the year to date): a year's first settled month
may be any month (a service starting mid-year); after that a month is either already settled
(re-settled as a new version) or the next one. The engine runs outside any transaction; a failure
at any point stores no run. Jobs left unfinished by a dead process are failed at start-up.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit.service import actor_of, record_audit
from app.clock import Clock
from app.db import after_commit, transaction
from app.jobs import JobRunner, mark_interrupted, record_failure
from app.settlement import records
from app.settlement.detail_file import holder_tables, put_detail
from app.settlement.detail_store import store_of_engine
from app.settlement.errors import MissingInputs, MonthOutOfOrder, SettlementJobRunning
from app.settlement.holdings_source import holdings_snapshot
from app.settlement.input_kinds import FORFEITURE_KINDS, REQUIRED_FOR_A_RUN, InputKind
from app.settlement.month_data import MonthData, load_month, month_inputs, month_network_document
from app.settlement.output_seal import settlement_output_hash
from app.settlement.repository import QUEUED, RUNNING, SUCCEEDED, SettlementRepository
from app.settlement.storage import find_or_add_input_set
from app.settlement.tables import (
    SettlementChange,
    SettlementHolderHour,
    SettlementHolderMonth,
    SettlementHour,
    SettlementJob,
    SettlementRun,
)
from app.settlement.upload import canonical_table
from settlement.month import MonthSettlement, settle_month
from settlement.revision import holder_differences, resettle
from settlement.year_state import YearState

logger = logging.getLogger("app.settlement")


def check_month_inputs(session: Session, year: int, month: int) -> None:
    """422 unless the month has its required inputs, and forfeiture's three tables all or none."""
    repo = SettlementRepository(session)
    present = {k for k in InputKind if repo.latest_input(year, month, k.value) is not None}
    missing = [k.value for k in REQUIRED_FOR_A_RUN if k not in present]
    if missing:
        raise MissingInputs(
            f"{year}-{month:02d} cannot be settled without {', '.join(missing)}",
            extensions={"missing": missing},
        )
    given = [k.value for k in FORFEITURE_KINDS if k in present]
    if given and len(given) != len(FORFEITURE_KINDS):
        lacking = [k.value for k in FORFEITURE_KINDS if k not in present]
        raise MissingInputs(
            f"{year}-{month:02d}: forfeiture (OA 5.2.1(b)) needs {', '.join(lacking)} too",
            extensions={"missing": lacking},
        )
    if given and month_network_document(session, year, month) is None:
        raise MissingInputs(
            f"{year}-{month:02d}: forfeiture needs the month's network (no auction for the month names one)",
            extensions={"missing": ["network"]},
        )


def months_to_settle(current: dict[int, SettlementRun], year: int, month: int) -> list[int]:
    """``month`` and the later settled months it re-flows; 409 if ``month`` is out of order."""
    if not current:
        return [month]
    first, last = min(current), max(current)
    if month < first or month > last + 1:
        raise MonthOutOfOrder(
            f"{year}-{month:02d} cannot be settled: the year's settled months are {first}..{last}, "
            f"so the next is {last + 1}" + (f" (the year starts at month {first})" if month < first else ""),
            extensions={"first_month": first, "last_month": last},
        )
    return list(range(month, max(last, month) + 1))


def start_settlement(
    session: Session,
    *,
    year: int,
    month: int,
    reason: str,
    requested_by: int,
    clock: Clock,
    engine: Engine,
    jobs: JobRunner,
) -> SettlementJob:
    """Queue a job settling ``(year, month)`` (re-settling it, and re-flowing later months, if settled)."""
    repo = SettlementRepository(session)
    repo.lock_year(year)
    if repo.unfinished_job(year) is not None:
        raise SettlementJobRunning(f"a settlement job for {year} is already queued or running")
    for m in months_to_settle(repo.current_runs(year), year, month):
        check_month_inputs(session, year, m)
    job = SettlementJob(
        year=year,
        month=month,
        status=QUEUED,
        reason=reason,
        requested_by_id=requested_by,
        created_at=clock.now(),
    )
    repo.add(job)
    job_id = job.id
    assert job_id is not None

    def enqueue() -> None:
        jobs.submit(lambda: run_settlement_job(engine, clock, job_id))

    after_commit(session, enqueue)
    return job


@dataclass(frozen=True, slots=True)
class _Replaced:
    run_id: int
    data: MonthData
    state_before: YearState
    result_hash: str


@dataclass(frozen=True, slots=True)
class _Snapshot:
    year: int
    month: int
    months: tuple[MonthData, ...]
    state_before: YearState
    current_ids: frozenset[int]
    replaced: dict[int, _Replaced]


def _log(engine: Engine, clock: Clock, job_id: int, line: str, progress: float | None = None) -> None:
    with transaction(engine) as session:
        job = session.get(SettlementJob, job_id)
        assert job is not None
        job.log += f"{clock.now().isoformat()} {line}\n"
        if progress is not None:
            job.progress = progress
        session.add(job)


def _snapshot(engine: Engine, job: SettlementJob) -> _Snapshot:
    with transaction(engine) as session:
        repo = SettlementRepository(session)
        current = repo.current_runs(job.year)
        months = months_to_settle(current, job.year, job.month)
        data: list[MonthData] = []
        for m in months:
            check_month_inputs(session, job.year, m)
            ids = {
                k.value: s.id
                for k in InputKind
                if k is not InputKind.HOLDINGS and (s := repo.latest_input(job.year, m, k.value)) is not None
                if s.id is not None
            }
            table = canonical_table(
                InputKind.HOLDINGS,
                holdings_snapshot(session, job.year, m),
                year=job.year,
                month=m,
                source_format="ledger",
                participants=lambda found: set(found),
                allow_empty=True,
            )
            holdings, _ = find_or_add_input_set(
                session, job.year, m, InputKind.HOLDINGS, table, None, job.created_at
            )
            assert holdings.id is not None
            ids[InputKind.HOLDINGS.value] = holdings.id
            data.append(load_month(session, job.year, m, ids))
        if job.month in current:
            state = YearState.from_json(json.loads(current[job.month].state_before))
        elif job.month - 1 in current:
            state = YearState.from_json(json.loads(current[job.month - 1].state_after))
        else:
            state = YearState.new(job.year, job.month)
        replaced = {}
        for m in months:
            old = current.get(m)
            if old is not None and old.id is not None:
                replaced[m] = _Replaced(
                    old.id,
                    load_month(session, job.year, m, json.loads(old.input_set_ids)),
                    YearState.from_json(json.loads(old.state_before)),
                    old.result_hash,
                )
        return _Snapshot(
            job.year,
            job.month,
            tuple(data),
            state,
            frozenset(r.id for r in current.values() if r.id is not None),
            replaced,
        )


def _store(
    session: Session,
    job_id: int,
    snapshot: _Snapshot,
    results: tuple[MonthSettlement, ...],
    old_results: dict[int, MonthSettlement],
    details: list[tuple[str, str]],
    now: datetime,
) -> list[int]:
    repo = SettlementRepository(session)
    repo.lock_year(snapshot.year)
    current = repo.current_runs(snapshot.year)
    if frozenset(r.id for r in current.values() if r.id is not None) != snapshot.current_ids:
        raise RuntimeError(f"the settled months of {snapshot.year} changed while this job ran")
    run_ids: list[int] = []
    audited: list[dict[str, object]] = []
    for data, result, (detail_key, detail_sha256) in zip(snapshot.months, results, details, strict=True):
        old = current.get(data.month)
        if old is not None:
            old.is_current = False
            repo.add(old)
        trigger = (
            "reflow" if data.month != snapshot.month else ("correction" if old is not None else "settle")
        )
        run = SettlementRun(
            year=snapshot.year,
            month=data.month,
            version=repo.next_version(snapshot.year, data.month),
            is_current=True,
            trigger=trigger,
            job_id=job_id,
            replaces_run_id=old.id if old is not None else None,
            input_set_ids=json.dumps(dict(data.input_set_ids), sort_keys=True),
            input_hash=_input_hash(repo, data),
            result_hash=records.result_hash(result),
            summary=json.dumps(records.summary(result), sort_keys=True),
            state_before=json.dumps(result.state_before.to_json(), sort_keys=True),
            state_after=json.dumps(result.state_after.to_json(), sort_keys=True),
            created_at=now,
            detail_key=detail_key,
            detail_sha256=detail_sha256,
        )
        repo.add(run)
        assert run.id is not None
        repo.insert_rows(SettlementHour, records.hour_rows(run.id, result))
        repo.insert_rows(SettlementHolderMonth, records.holder_month_rows(run.id, result))
        repo.insert_rows(SettlementHolderHour, records.holder_hour_rows(run.id, result))
        if data.month in old_results:
            differences = holder_differences(old_results[data.month], result)
            repo.insert_rows(SettlementChange, records.change_rows(run.id, differences))
        run_ids.append(run.id)
        audited.append(
            {
                "run_id": run.id,
                "month": data.month,
                "version": run.version,
                "trigger": trigger,
                "replaces_run_id": run.replaces_run_id,
                "input_set_ids": dict(data.input_set_ids),
                "input_hash": run.input_hash,
                "result_hash": run.result_hash,
                "output_hash": settlement_output_hash(session, run.id),
                "detail_sha256": detail_sha256,
            }
        )
    job = repo.job(job_id)
    assert job is not None
    record_audit(
        session,
        actor_of(job.requested_by_id),
        "settlement.run",
        {
            "job_id": job_id,
            "year": snapshot.year,
            "month": snapshot.month,
            "reason": job.reason,
            "runs": audited,
        },
        at=now,
    )
    job.status = SUCCEEDED
    job.progress = 1.0
    job.finished_at = now
    job.log += f"{now.isoformat()} stored runs {run_ids}\n"
    repo.add(job)
    return run_ids


def _input_hash(repo: SettlementRepository, data: MonthData) -> str:
    import hashlib

    sets = sorted((s.kind, s.content_hash) for s in repo.input_sets(list(data.input_set_ids.values())))
    return hashlib.sha256(json.dumps(sets).encode()).hexdigest()


def run_settlement_job(engine: Engine, clock: Clock, job_id: int) -> None:
    """The worker side of a settlement job; never raises (a failure is recorded on the job)."""
    started = time.monotonic()
    try:
        with transaction(engine) as session:
            job = session.get(SettlementJob, job_id)
            if job is None or job.status != QUEUED:
                return
            job.status = RUNNING
            job.started_at = clock.now()
            session.add(job)
        _log(engine, clock, job_id, "snapshot of inputs, holdings and the year state", 0.05)
        snapshot = _snapshot(engine, job)
        months = [d.month for d in snapshot.months]
        _log(engine, clock, job_id, f"settling {snapshot.year} months {months}", 0.2)
        results = resettle(snapshot.year, [month_inputs(d) for d in snapshot.months], snapshot.state_before)
        old_results: dict[int, MonthSettlement] = {}
        for m, old in snapshot.replaced.items():
            inputs = month_inputs(old.data)
            old_results[m] = settle_month(
                snapshot.year,
                m,
                inputs.ftrs,
                inputs.prices,
                inputs.charges,
                old.state_before,
                forfeiture_inputs=inputs.forfeiture_inputs,
            )
            same = records.result_hash(old_results[m]) == old.result_hash
            _log(
                engine,
                clock,
                job_id,
                f"month {m}: replaced version recomputed from its stored inputs "
                + (
                    "(identical)"
                    if same
                    else "(DIFFERS from what was stored: differences use the recomputation)"
                ),
            )
        store = store_of_engine(engine)
        details = [put_detail(store, holder_tables(result)) for result in results]
        _log(
            engine,
            clock,
            job_id,
            f"settled and detail files written in {time.monotonic() - started:.2f} s",
            0.8,
        )
        with transaction(engine) as session:
            _store(session, job_id, snapshot, results, old_results, details, clock.now())
    except Exception as exc:  # recorded on the job: the worker must never die silently
        logger.exception("settlement job %s failed", job_id)
        record_failure(engine, SettlementJob, job_id, clock, exc)


def recover_interrupted_settlements(engine: Engine, clock: Clock) -> int:
    """Mark settlement jobs a dead process left queued or running as failed (nothing was stored)."""
    with transaction(engine) as session:
        return mark_interrupted(session, SettlementJob, clock)
