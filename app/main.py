"""The ASGI application factory: settings, engine, clock and job runner are built here, at start-up."""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.engine import Engine

from app.api_docs import install_api_docs
from app.audit.signing import register_signing_key
from app.audit.verification import ChainVerifications
from app.clock import Clock, MovableClock, SystemClock
from app.db import create_db_engine
from app.db_pool import in_flight_limit
from app.gate import AuthGate, VerifiedKeys
from app.jobs import JobRunner, Runner, isolation
from app.jobs.queue import Queue
from app.jobs.runner import mark_interrupted
from app.limits import BodyLimits, InFlightLimit
from app.market_clock.service import sync_market_clock
from app.observability import RequestMetrics
from app.problems import install_problem_handlers
from app.rate_limit import AddressRateLimit, bucket
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
    market_clock,
    networks,
    participants,
    path_price,
    probes,
    results,
    settlement,
    settlement_statements,
    transfers,
)
from app.routers import jobs as job_routes
from app.security_headers import SecurityHeaders
from app.settings import Environment, MarketClockMode, Settings
from app.settlement.detail_store import register_store, store_for
from app.web.pages import install_portal

API_DESCRIPTION = """
Monthly FTR auctions (PJM Operating Agreement Schedule 1, section 7): the Office of the
Interconnection (OI) loads network model versions, creates a monthly auction holding an on-peak and
an off-peak class auction, opens the bid window, clears both classes with the simultaneous-feasibility
LP and posts the results. Participants submit bids and offers while the window is open.

Authentication: `Authorization: Bearer <API key>` on every route but `/api/v1/health`.
Errors: RFC 9457 problem details (`application/problem+json`) with field-level `errors`.
Numbers with units are decimal strings: MW in 0.1 steps, prices in $/MW for the period, money in $.
"""


SOLVE_MODULE = "app.clearing.engine"
"""Preloaded in the fork server of the solves (:mod:`app.jobs.isolation`)."""


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    """Build the service. Refuses insecure settings outside development (see :mod:`app.settings`)."""
    settings = settings if settings is not None else Settings()
    engine = (
        engine
        if engine is not None
        else create_db_engine(settings.database_url, pool_max=settings.db_pool_max)
    )
    register_signing_key(engine, settings.audit_signing_key_file)
    register_store(engine, store_for(settings.settlement_store))
    if clock is None:
        movable = settings.market_clock_mode is MarketClockMode.MOVABLE
        clock = MovableClock(SystemClock()) if movable else SystemClock()
    jobs: Runner = (
        Queue(settings.database_url, engine, clock=clock)
        if settings.job_queue == "postgres"
        else JobRunner(engine, clock, max_workers=settings.job_workers, isolate=settings.job_solve_process)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sync_market_clock(engine, app.state.clock)
        if settings.job_queue == "in_process":  # one process runs every job: none of them is alive
            mark_interrupted(engine, app.state.clock)
            if settings.job_solve_process:  # the solves' fork server, started beside the serving
                threading.Thread(target=isolation.warm, args=(SOLVE_MODULE,), daemon=True).start()
        yield
        jobs.shutdown()

    app = FastAPI(
        title="FTR auction and congestion-rights service",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.jobs = jobs
    app.state.verified_keys = VerifiedKeys(settings.secret_key, settings.key_cache_ttl_s)
    app.state.audit_verifications = ChainVerifications()
    install_problem_handlers(app)
    app.add_middleware(BodyLimits, max_bytes=settings.max_request_bytes, timeout_s=settings.body_timeout_s)
    app.add_middleware(
        InFlightLimit, limit=in_flight_limit(settings.max_concurrent_requests, settings.db_pool_max)
    )
    store = functools.partial(bucket, store=settings.rate_limit_store, engine=engine)
    app.add_middleware(
        AuthGate,
        engine=engine,
        pepper=settings.secret_key,
        routes=app.router.routes,
        per_key=store(settings.rate_limit_key_per_s, settings.rate_limit_key_burst, name="key"),
        failures_per_address=store(
            settings.rate_limit_failed_keys_per_s, settings.rate_limit_failed_keys_burst, name="failed_keys"
        ),
        verified=app.state.verified_keys,
    )
    app.add_middleware(
        AddressRateLimit,
        limit=store(settings.rate_limit_address_per_s, settings.rate_limit_address_burst, name="address"),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(SecurityHeaders, hsts=settings.env != Environment.DEVELOPMENT)
    app.add_middleware(RequestMetrics)
    install_api_docs(app)
    app.include_router(probes.router)
    routers = (health, participants, networks, auctions, bids, holdings, clearing, results, job_routes)
    services = (auction_revenue, transfers, applications, audit, settlement, settlement_statements, forecast)
    for module in (*routers, *services):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    app.include_router(path_price.router, responses=PROBLEM_RESPONSES)
    install_portal(app)
    app.include_router(market_clock.router, responses=PROBLEM_RESPONSES)
    return app
