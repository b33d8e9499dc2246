"""The ASGI application factory: settings, engine, clock and job runner are built here, at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from app.audit.signing import register_signing_key
from app.clearing.flows import recover_interrupted_jobs
from app.clock import Clock, SystemClock
from app.db import create_db_engine
from app.forecast.flows import recover_interrupted_forecasts
from app.jobs import JobRunner
from app.limits import BodySizeLimit, InFlightLimit
from app.problems import install_problem_handlers
from app.routers import (
    PROBLEM_RESPONSES,
    applications,
    auction_revenue,
    auctions,
    audit,
    bids,
    clearing,
    forecast,
    health,
    holdings,
    networks,
    participants,
    results,
    settlement,
    settlement_statements,
    transfers,
)
from app.settings import Settings
from app.settlement.detail_store import register_store, store_for
from app.settlement.flows import recover_interrupted_settlements

API_DESCRIPTION = """
Monthly FTR auctions (PJM Operating Agreement Schedule 1, section 7): the Office of the
Interconnection (OI) loads network model versions, creates a monthly auction holding an on-peak and
an off-peak class auction, opens the bid window, clears both classes with the simultaneous-feasibility
LP and posts the results. Participants submit bids and offers while the window is open.

Authentication: `Authorization: Bearer <API key>` on every route but `/api/v1/health`.
Errors: RFC 9457 problem details (`application/problem+json`) with field-level `errors`.
Numbers with units are decimal strings: MW in 0.1 steps, prices in $/MW for the period, money in $.
"""


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    """Build the service. Refuses insecure settings outside development (see :mod:`app.settings`)."""
    settings = settings if settings is not None else Settings()
    engine = engine if engine is not None else create_db_engine(settings.database_url)
    register_signing_key(engine, settings.audit_signing_key_file)
    register_store(engine, store_for(settings.settlement_store))
    jobs = JobRunner(max_workers=settings.job_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        recover_interrupted_jobs(engine, app.state.clock)
        recover_interrupted_settlements(engine, app.state.clock)
        recover_interrupted_forecasts(engine, app.state.clock)
        yield
        jobs.shutdown()

    app = FastAPI(
        title="FTR auction and congestion-rights service",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock if clock is not None else SystemClock()
    app.state.jobs = jobs
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(InFlightLimit, limit=settings.max_concurrent_requests)
    routers = (health, participants, networks, auctions, bids, holdings, clearing, results)
    services = (auction_revenue, transfers, applications, audit, settlement, settlement_statements, forecast)
    for module in (*routers, *services):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    return app
