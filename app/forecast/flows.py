"""The forecast flow: queue a job for a cleared auction, simulate outside any transaction, store the report.

    start_forecast (request)      cleared (not posted) auction, no unfinished forecast -> job ``queued``;
                                  enqueued after commit
    run_forecast_job (worker)     ``running`` -> snapshot (network version, period conditions, the FTRs
                                  held after the awards: :mod:`app.forecast.positions`) ->
                                  :func:`simulation.monthly.forecast_month` -> ONE transaction: report
                                  stored, job ``succeeded``
    recover_interrupted_forecasts at start-up: jobs a dead process left unfinished -> ``failed``

The simulation (OA 7.4: is congestion revenue enough "under expected conditions"?) runs the
auction's month hour by hour in EPT with the auction's scheduled outages and loop flow as the base
case, then each outage scenario on top of it (see :mod:`simulation.forecast` for the maths).
A failure stores no report; the job records the error.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api_schemas.forecast import ForecastRequest
from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.audit.service import actor_of, record_audit
from app.clock import Clock
from app.db import after_commit, transaction
from app.errors import Conflict, InvalidStateTransition, NotFound
from app.forecast.positions import forecast_positions
from app.forecast.report import report_document
from app.forecast.tables import ForecastJob
from app.jobs import QUEUED, RUNNING, SUCCEEDED, JobRunner, mark_interrupted, record_failure
from app.networks.outages import network_from_document
from app.networks.tables import NetworkVersion
from network.model import Network, PeriodConditions
from simulation.forecast import FtrPosition, OutageScenario

logger = logging.getLogger("app.forecast")

DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Processes simulating hours (hours are independent; the service machine has 2 cores)."""


class ForecastJobRunning(Conflict):
    slug = "job-already-running"
    title = "A forecast job for this auction is already queued or running"


def start_forecast(
    session: Session,
    *,
    auction_id: int,
    request: ForecastRequest,
    requested_by: int,
    clock: Clock,
    engine: Engine,
    jobs: JobRunner,
    workers: int = DEFAULT_WORKERS,
) -> ForecastJob:
    """Queue a forecast of a cleared (not yet posted) auction; 409 otherwise or if one is unfinished."""
    job = create_forecast_job(
        session, auction_id=auction_id, request=request, requested_by=requested_by, clock=clock
    )
    job_id = job.id
    assert job_id is not None

    def enqueue() -> None:
        jobs.submit(lambda: run_forecast_job(engine, clock, job_id, workers=workers))

    after_commit(session, enqueue)
    return job


def create_forecast_job(
    session: Session, *, auction_id: int, request: ForecastRequest, requested_by: int, clock: Clock
) -> ForecastJob:
    """The queued job row (the command line runs it in-process with :func:`run_forecast_job`)."""
    auction = AuctionRepository(session).lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    if AuctionStatus(auction.status) is not AuctionStatus.CLEARED:
        raise InvalidStateTransition(
            f"auction {auction_id} is {auction.status}; only a cleared (not yet posted) auction is forecast",
            extensions={"current_status": auction.status},
        )
    unfinished = session.exec(
        select(ForecastJob).where(
            ForecastJob.auction_id == auction_id,
            col(ForecastJob.status).in_((QUEUED, RUNNING)),
        )
    ).first()
    if unfinished is not None:
        raise ForecastJobRunning(f"auction {auction_id} already has forecast job {unfinished.id} unfinished")
    job = ForecastJob(
        auction_id=auction_id,
        status=QUEUED,
        parameters=request.model_dump_json(),
        requested_by_id=requested_by,
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    return job


@dataclass(frozen=True)
class _Snapshot:
    year: int
    month: int
    network: Network
    conditions: PeriodConditions
    ftrs: tuple[FtrPosition, ...]
    request: ForecastRequest


def _log(engine: Engine, clock: Clock, job_id: int, line: str, progress: float | None = None) -> None:
    with transaction(engine) as session:
        job = session.get(ForecastJob, job_id)
        assert job is not None
        job.log += f"{clock.now().isoformat()} {line}\n"
        if progress is not None:
            job.progress = progress
        session.add(job)


def _snapshot(engine: Engine, job_id: int) -> _Snapshot:
    with transaction(engine) as session:
        job = session.get(ForecastJob, job_id)
        assert job is not None
        auction = AuctionRepository(session).get(job.auction_id)
        assert auction is not None and auction.id is not None
        version = session.get(NetworkVersion, auction.network_version_id)
        assert version is not None
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
            request=ForecastRequest.model_validate_json(job.parameters),
        )


def run_forecast_job(engine: Engine, clock: Clock, job_id: int, *, workers: int = DEFAULT_WORKERS) -> None:
    """The worker side of a forecast job; never raises (a failure is recorded on the job)."""
    from simulation.market import SimulationSettings  # the solver stack loads on first use
    from simulation.monthly import forecast_month

    started = time.monotonic()
    try:
        with transaction(engine) as session:
            job = session.get(ForecastJob, job_id)
            if job is None or job.status != QUEUED:
                return
            job.status = RUNNING
            job.started_at = clock.now()
            session.add(job)
        snap = _snapshot(engine, job_id)
        req = snap.request
        if not snap.ftrs:
            raise ValueError(
                "the auction awarded nothing and nothing is held for its month: no FTR to forecast"
            )
        scenarios = (
            None
            if req.scenarios is None
            else [OutageScenario(s.id, tuple(s.branch_ids), s.probability) for s in req.scenarios]
        )
        _log(
            engine,
            clock,
            job_id,
            f"simulating {snap.year}-{snap.month:02d} for {len(snap.ftrs)} FTR positions, "
            + ("automatic outage scenarios" if scenarios is None else f"{len(scenarios)} outage scenarios"),
            0.1,
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
        )
        document = report_document(report)
        with transaction(engine) as session:
            job = session.get(ForecastJob, job_id)
            assert job is not None
            now = clock.now()
            job.report = document
            job.status = SUCCEEDED
            job.progress = 1.0
            job.finished_at = now
            ratios = ", ".join(
                f"{c.period_class} expected {c.expected_month_end_ratio:.4f} "
                f"worst {c.worst_month_end_ratio:.4f}"
                for c in report.classes
            )
            job.log += (
                f"{now.isoformat()} {len(report.scenarios)} scenarios x {report.hours} hours "
                f"({time.monotonic() - started:.1f} s); payout ratios {ratios}\n"
            )
            session.add(job)
            record_audit(
                session,
                actor_of(job.requested_by_id),
                "forecast.run",
                {"auction_id": job.auction_id, "job_id": job_id, "scenarios": len(report.scenarios)},
                at=now,
            )
    except Exception as exc:  # recorded on the job: the worker must never die silently
        logger.exception("forecast job %s failed", job_id)
        record_failure(engine, ForecastJob, job_id, clock, exc)


def recover_interrupted_forecasts(engine: Engine, clock: Clock) -> int:
    """Mark forecast jobs a dead process left queued or running as failed."""
    with transaction(engine) as session:
        return mark_interrupted(session, ForecastJob, clock)
