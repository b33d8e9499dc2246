"""The forecast task: snapshot a cleared auction, simulate its month, store the report at once.

    forecast_auction (task)  snapshot (network version, period conditions, the FTRs held after the
                             awards: :mod:`app.forecast.positions`) ->
                             :func:`simulation.monthly.forecast_month` outside any transaction ->
                             ONE transaction: report stored as the job's ``result``, job ``succeeded``

The simulation (OA 7.4: is congestion revenue enough "under expected conditions"?) runs the
auction's month hour by hour in EPT with the auction's scheduled outages and loop flow as the base
case, then each outage scenario on top of it (see :mod:`simulation.forecast` for the maths). Every
run imposes the contingency set the auction was cleared with (its ``contingency_set`` and
``contingencies`` columns, read as the clearing reads them), so N-1 congestion that underfunds FTRs
shows up as a shortfall on a named (constraint, contingency) pair. A base run already simulated in
this process for the same month and conditions (:mod:`app.forecast.base_runs`) is used, not redone.
A failure stores no report; the job records the error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy.engine import Engine

from api_schemas.forecast import ForecastRequest
from app.auctions.repository import AuctionRepository
from app.audit.service import actor_of, record_audit
from app.contingency_sets import engine_contingencies
from app.db import transaction
from app.forecast.base_runs import base_run_key, take_base_run
from app.forecast.positions import forecast_positions
from app.forecast.report import report_document
from app.jobs import JobContext, JobKind, finish, task
from app.jobs.repository import JobRepository
from app.networks.outages import network_from_document
from app.networks.tables import NetworkVersion
from network.model import Contingency, Network, PeriodConditions
from simulation.forecast import FtrPosition, OutageScenario

DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Processes simulating hours (hours are independent; the service machine has 2 cores)."""


@dataclass(frozen=True)
class _Snapshot:
    year: int
    month: int
    network: Network
    conditions: PeriodConditions
    ftrs: tuple[FtrPosition, ...]
    request: ForecastRequest
    contingencies: Sequence[Contingency] | Literal["all"] | None
    base_run_key: str


def _snapshot(engine: Engine, job_id: int) -> _Snapshot:
    with transaction(engine) as session:
        job = JobRepository(session).get(job_id, JobKind.FORECAST)
        assert job is not None and job.auction_id is not None and job.parameters is not None
        auction = AuctionRepository(session).get(job.auction_id)
        assert auction is not None and auction.id is not None
        version = session.get(NetworkVersion, auction.network_version_id)
        assert version is not None
        request = ForecastRequest.model_validate_json(job.parameters)
        conditions = PeriodConditions(
            scheduled_outages=tuple(json.loads(auction.scheduled_outages)),
            loop_flow_mw={k: float(Decimal(v)) for k, v in json.loads(auction.loop_flow).items()},
        )
        return _Snapshot(
            year=auction.year,
            month=auction.month,
            network=network_from_document(version.document),
            conditions=conditions,
            ftrs=forecast_positions(session, auction.id),
            request=request,
            contingencies=engine_contingencies(auction.contingency_set, json.loads(auction.contingencies)),
            base_run_key=base_run_key(auction, request.seed),
        )


@task(JobKind.FORECAST)
def forecast_auction(ctx: JobContext, *, workers: int = DEFAULT_WORKERS) -> None:
    """The forecast job: simulate the auction's month and store the report."""
    from simulation.market import SimulationSettings  # the solver stack loads on first use
    from simulation.monthly import forecast_month

    ctx.progress("snapshot", fraction=0.05)
    snap = _snapshot(ctx.engine, ctx.job_id)
    req = snap.request
    if not snap.ftrs:
        raise ValueError("the auction awarded nothing and nothing is held for its month: no FTR to forecast")
    scenarios = (
        None
        if req.scenarios is None
        else [OutageScenario(s.id, tuple(s.branch_ids), s.probability) for s in req.scenarios]
    )
    base_result = take_base_run(snap.base_run_key)
    ctx.progress(
        "simulate",
        rows=len(snap.ftrs),
        fraction=0.1,
        line=f"simulating {snap.year}-{snap.month:02d} for {len(snap.ftrs)} FTR positions, "
        + ("automatic outage scenarios" if scenarios is None else f"{len(scenarios)} outage scenarios")
        + ("; the base case already simulated in this process is used" if base_result is not None else ""),
    )
    report = forecast_month(
        snap.network,
        snap.conditions,
        snap.ftrs,
        snap.year,
        snap.month,
        scenarios=scenarios,
        n_auto=req.n_auto,
        auto_probability=req.auto_probability,
        top_n=req.top_n,
        settings=SimulationSettings(seed=req.seed, workers=workers),
        contingencies=snap.contingencies,
        base_result=base_result,
    )
    document = report_document(report)
    ctx.progress("store", fraction=0.95)
    ratios = ", ".join(
        f"{c.period_class} expected {c.expected_month_end_ratio:.4f} worst {c.worst_month_end_ratio:.4f}"
        for c in report.classes
    )
    with transaction(ctx.engine) as session:
        now = ctx.clock.now()
        job = finish(
            session,
            ctx,
            now,
            f"{len(report.scenarios)} scenarios x {report.hours} hours ({ctx.elapsed_s():.1f} s); "
            f"payout ratios {ratios}",
            result=document,
        )
        record_audit(
            session,
            actor_of(job.requested_by_id),
            "forecast.run",
            {"auction_id": job.auction_id, "job_id": ctx.job_id, "scenarios": len(report.scenarios)},
            at=now,
        )
