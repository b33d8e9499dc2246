"""Settlement rows -> wire schemas and CSV (cents -> $ decimals, ratios as stored)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from api_schemas.auctions import PeriodClassName
from api_schemas.clearing import JobStatusName
from api_schemas.settlement import (
    ChangePublic,
    HolderHourPublic,
    HolderMonthPublic,
    HourCaseName,
    HourTotalPublic,
    InputSetPublic,
    RunTrigger,
    SettlementJobPublic,
    SettlementRunPublic,
    YearEndPublic,
    YearEndSharePublic,
)
from app.csv_export import models_csv
from app.jobs import Job
from app.settlement.tables import (
    SettlementChange,
    SettlementHolderHour,
    SettlementHolderMonth,
    SettlementHour,
    SettlementInputSet,
    SettlementRun,
    SettlementYearEnd,
    SettlementYearEndShare,
)
from app.units import from_cents


def input_set_public(s: SettlementInputSet) -> InputSetPublic:
    assert s.id is not None
    return InputSetPublic(
        id=s.id,
        year=s.year,
        month=s.month,
        kind=s.kind,
        version=s.version,
        content_hash=s.content_hash,
        rows=s.row_count,
        columns=s.columns.split(","),
        source_format=s.source_format,
        created_at=s.created_at,
        file_sha256=s.file_sha256,
    )


def job_public(job: Job, run_ids: list[int], now: datetime) -> SettlementJobPublic:
    assert job.id is not None
    end = job.finished_at or (now if job.started_at else None)
    return SettlementJobPublic(
        id=job.id,
        year=job.year,
        month=job.month,
        status=JobStatusName(job.status),
        progress=job.progress,
        elapsed_s=(end - job.started_at).total_seconds() if job.started_at and end else None,
        reason=job.reason,
        log=[line for line in job.log.splitlines() if line],
        error=job.error,
        run_ids=run_ids,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def run_public(run: SettlementRun) -> SettlementRunPublic:
    assert run.id is not None
    return SettlementRunPublic(
        id=run.id,
        year=run.year,
        month=run.month,
        version=run.version,
        is_current=run.is_current,
        trigger=RunTrigger(run.trigger),
        job_id=run.job_id,
        replaces_run_id=run.replaces_run_id,
        input_set_ids=json.loads(run.input_set_ids),
        input_hash=run.input_hash,
        result_hash=run.result_hash,
        summary=json.loads(run.summary),
        created_at=run.created_at,
    )


def hour_public(h: SettlementHour) -> HourTotalPublic:
    return HourTotalPublic(
        hour_ending=h.hour_ending,
        period_class=PeriodClassName(h.period_class),
        da_congestion=from_cents(h.da_congestion_cents),
        rt_congestion=from_cents(h.rt_congestion_cents),
        loop_flow_compensation=from_cents(h.loop_flow_cents),
        charges=from_cents(h.charges_cents),
        target_allocation=from_cents(h.target_allocation_cents),
        credit=from_cents(h.credit_cents),
        excess=from_cents(h.excess_cents),
        payout_ratio=h.payout_ratio,
        case=HourCaseName(h.case),
    )


def holder_month_public(m: SettlementHolderMonth) -> HolderMonthPublic:
    return HolderMonthPublic(
        participant_id=m.participant_id,
        target_allocation=from_cents(m.target_allocation_cents),
        credit=from_cents(m.credit_cents),
        forfeited=from_cents(m.forfeited_cents),
        monthly_distribution=from_cents(m.monthly_distribution_cents),
        annual_distribution=from_cents(m.annual_distribution_cents),
        payout_ratio=m.payout_ratio,
    )


def holder_hour_public(h: SettlementHolderHour) -> HolderHourPublic:
    return HolderHourPublic(
        hour_ending=h.hour_ending,
        target_allocation=from_cents(h.target_allocation_cents),
        credit=from_cents(h.credit_cents),
        payout_ratio=h.payout_ratio,
    )


def change_public(c: SettlementChange) -> ChangePublic:
    return ChangePublic(
        participant_id=c.participant_id,
        amount=c.amount,
        old=from_cents(c.old_cents),
        new=from_cents(c.new_cents),
        change=from_cents(c.change_cents),
    )


def year_end_public(entry: SettlementYearEnd, shares: Sequence[SettlementYearEndShare]) -> YearEndPublic:
    assert entry.id is not None
    return YearEndPublic(
        id=entry.id,
        year=entry.year,
        version=entry.version,
        december_run_id=entry.december_run_id,
        input_set_id=entry.input_set_id,
        carried=from_cents(entry.carried_cents),
        distributed=from_cents(entry.distributed_cents),
        undistributed=from_cents(entry.undistributed_cents),
        shares=[
            YearEndSharePublic(
                participant_id=s.participant_id,
                charges=from_cents(s.charges_cents),
                amount=from_cents(s.amount_cents),
            )
            for s in shares
        ],
        created_at=entry.created_at,
    )


def to_csv(items: Sequence[BaseModel], columns: Sequence[str]) -> str:
    """One CSV row per item (JSON-mode values: decimals as text, times as ISO 8601)."""
    return models_csv(items, columns)
