"""The settlement task: snapshot the inputs, settle (and re-flow), store everything at once.

    settle_month_job (task)  snapshot (input sets, holdings snapshot, year state before) -> settle the
                             month and every later settled month of the year
                             (settlement.revision.resettle) -> for each month replaced, recompute the
                             old version from its stored inputs and diff it -> ONE transaction: new
                             run versions, their statements and differences, the ``settlement.run``
                             audit link, job ``succeeded`` (:func:`app.jobs.runner.finish`)

The checks a run needs (:func:`check_month_inputs`, :func:`months_to_settle`) are made when the job
is queued and again on the snapshot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit.service import actor_of, record_audit
from app.db import transaction
from app.jobs import Job, JobContext, JobKind, finish, task
from app.jobs.repository import JobRepository
from app.settlement import records
from app.settlement.detail_file import holder_tables, write_detail
from app.settlement.detail_store import store_of_engine
from app.settlement.errors import MissingInputs, MonthOutOfOrder
from app.settlement.holdings_source import holdings_snapshot
from app.settlement.input_kinds import FORFEITURE_KINDS, REQUIRED_FOR_A_RUN, InputKind
from app.settlement.month_data import MonthData, load_month, month_inputs, month_network_document
from app.settlement.output_seal import settlement_output_hash
from app.settlement.repository import SettlementRepository
from app.settlement.storage import find_or_add_input_set
from app.settlement.tables import (
    SettlementChange,
    SettlementHolderHour,
    SettlementHolderMonth,
    SettlementHour,
    SettlementRun,
)
from app.settlement.upload import canonical_table
from settlement.month import MonthSettlement, settle_month
from settlement.revision import monthly_differences, resettle
from settlement.statements import holder_monthly_frame
from settlement.year_state import YearState


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


def _snapshot(engine: Engine, job: Job) -> _Snapshot:
    year, month_ = job.year, job.month
    with transaction(engine) as session:
        repo = SettlementRepository(session)
        current = repo.current_runs(year)
        months = months_to_settle(current, year, month_)
        data: list[MonthData] = []
        for m in months:
            check_month_inputs(session, year, m)
            ids = {
                k.value: s.id
                for k in InputKind
                if k is not InputKind.HOLDINGS and (s := repo.latest_input(year, m, k.value)) is not None
                if s.id is not None
            }
            table = canonical_table(
                InputKind.HOLDINGS,
                holdings_snapshot(session, year, m),
                year=year,
                month=m,
                source_format="ledger",
                participants=lambda found: set(found),
                allow_empty=True,
            )
            holdings, _ = find_or_add_input_set(
                session, year, m, InputKind.HOLDINGS, table, None, job.created_at
            )
            assert holdings.id is not None
            ids[InputKind.HOLDINGS.value] = holdings.id
            data.append(load_month(session, year, m, ids))
        if month_ in current:
            state = YearState.from_json(json.loads(current[month_].state_before))
        elif month_ - 1 in current:
            state = YearState.from_json(json.loads(current[month_ - 1].state_after))
        else:
            state = YearState.new(year, month_)
        replaced = {}
        for m in months:
            old = current.get(m)
            if old is not None and old.id is not None:
                replaced[m] = _Replaced(
                    old.id,
                    load_month(session, year, m, json.loads(old.input_set_ids)),
                    YearState.from_json(json.loads(old.state_before)),
                    old.result_hash,
                )
        return _Snapshot(
            year,
            month_,
            tuple(data),
            state,
            frozenset(r.id for r in current.values() if r.id is not None),
            replaced,
        )


def _store(
    session: Session,
    ctx: JobContext,
    snapshot: _Snapshot,
    results: tuple[MonthSettlement, ...],
    old_monthly: dict[int, pd.DataFrame],
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
            job_id=ctx.job_id,
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
        if data.month in old_monthly:
            differences = monthly_differences(old_monthly[data.month], holder_monthly_frame(result))
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
    job = finish(session, ctx, now, f"stored runs {run_ids}")
    record_audit(
        session,
        actor_of(job.requested_by_id),
        "settlement.run",
        {
            "job_id": ctx.job_id,
            "year": snapshot.year,
            "month": snapshot.month,
            "reason": job.reason,
            "runs": audited,
        },
        at=now,
    )
    return run_ids


def _input_hash(repo: SettlementRepository, data: MonthData) -> str:
    sets = sorted((s.kind, s.content_hash) for s in repo.input_sets(list(data.input_set_ids.values())))
    return hashlib.sha256(json.dumps(sets).encode()).hexdigest()


@task(JobKind.SETTLEMENT)
def settle_month_job(ctx: JobContext) -> None:
    """The settlement job: the month and the later settled months it re-flows, stored at once."""
    with transaction(ctx.engine) as session:
        job = JobRepository(session).get(ctx.job_id, JobKind.SETTLEMENT)
        assert job is not None
    ctx.progress("snapshot", fraction=0.05, line="snapshot of inputs, holdings and the year state")
    snapshot = _snapshot(ctx.engine, job)
    months = [d.month for d in snapshot.months]
    ctx.progress("settle", rows=len(months), fraction=0.2, line=f"settling {snapshot.year} months {months}")
    # The replaced versions first, each reduced to its holder totals before the next is settled: the
    # FTR-hour matrices of two versions are never held at once (100,000 FTRs: ~1.2 GB each).
    old_monthly: dict[int, pd.DataFrame] = {}
    for m, old in snapshot.replaced.items():
        inputs = month_inputs(old.data)
        recomputed = settle_month(
            snapshot.year,
            m,
            inputs.ftrs,
            inputs.prices,
            inputs.charges,
            old.state_before,
            forfeiture_inputs=inputs.forfeiture_inputs,
        )
        same = records.result_hash(recomputed) == old.result_hash
        old_monthly[m] = holder_monthly_frame(recomputed)
        del recomputed, inputs
        ctx.log(
            f"month {m}: replaced version recomputed from its stored inputs "
            + ("(identical)" if same else "(DIFFERS from what was stored: differences use the recomputation)")
        )
    results = resettle(snapshot.year, [month_inputs(d) for d in snapshot.months], snapshot.state_before)
    # Each run's per-FTR-hour detail goes to the file store outside any transaction (content-addressed:
    # a failure later leaves at most an unreferenced file).
    store = store_of_engine(ctx.engine)
    details = [write_detail(store, holder_tables(result)) for result in results]
    ctx.progress(
        "store", fraction=0.8, line=f"settled and detail files written in {ctx.elapsed_s():.2f} s; storing"
    )
    with transaction(ctx.engine) as session:
        _store(session, ctx, snapshot, results, old_monthly, details, ctx.clock.now())
