"""Reading clearing jobs and results, with who may see what.

Posted results (OA 7.3.7) are public to every participant: awards with the winning participant,
MW, points and clearing price, the nodal prices and the binding constraints with shadow prices.
Before posting, only the OI and auditors see them. No bid price or reservation price is ever part
of a posted result; a participant sees its own bids with fills through the bids routes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pyarrow as pa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api_schemas.auctions import PeriodClassName
from api_schemas.audit import AuditAnchorPublic
from api_schemas.bids import HedgeName, SideName
from api_schemas.clearing import (
    AwardPublic,
    BindingConstraintPublic,
    ClassResultsPublic,
    ClearingJobPublic,
    JobStatusName,
    NodalPricePublic,
)
from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.tables import Auction, ClassAuction
from app.audit.anchors import anchor_of, latest_link
from app.audit.service import actor_of
from app.bid_fills import BidFill
from app.bids.tables import Bid
from app.clearing.constraint_names import ConstraintNamer
from app.clearing.repository import ClearingRepository
from app.clearing.tables import BindingConstraint
from app.csv_export import write_csv
from app.errors import NotFound
from app.jobs import Job, JobKind
from app.jobs.listing import JobFilter, page_jobs
from app.jobs.repository import JobRepository
from app.networks.outages import network_from_document
from app.networks.repository import NetworkRepository
from app.paging import KeyedPage, Pagination
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller
from app.participants.tables import Participant
from app.units import from_cents, from_tenths
from market_calendar import posting_deadline


def binding_public(b: BindingConstraint, names: ConstraintNamer) -> BindingConstraintPublic:
    """A stored binding constraint with its buses, names and contingency branches from the model."""
    described = names.describe(b.constraint_id, b.contingency_id)
    return BindingConstraintPublic(
        constraint_id=b.constraint_id,
        contingency_id=b.contingency_id,
        shadow_price=b.shadow_price,
        flow_mw=b.flow_mw,
        limit_mw=b.limit_mw,
        from_bus=described.from_bus,
        to_bus=described.to_bus,
        from_bus_name=described.from_bus_name,
        to_bus_name=described.to_bus_name,
        branch_name=described.branch_name,
        contingency_branches=list(described.contingency_branches),
    )


def job_public(job: Job, now: datetime) -> ClearingJobPublic:
    assert job.id is not None and job.auction_id is not None
    end = job.finished_at or (now if job.started_at else None)
    elapsed = (end - job.started_at).total_seconds() if job.started_at and end else None
    return ClearingJobPublic(
        id=job.id,
        auction_id=job.auction_id,
        status=JobStatusName(job.status),
        progress=job.progress,
        elapsed_s=elapsed,
        log=[line for line in job.log.splitlines() if line],
        error=job.error,
        input_hash=job.input_hash,
        result_hash=job.result_hash,
        summary=json.loads(job.result) if job.result else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


class ResultsService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = ClearingRepository(session)

    def job(self, caller: Caller, job_id: int) -> Job:
        job = JobRepository(self.session).get(job_id, JobKind.CLEARING)
        if job is None or caller.role not in READ_ALL_ROLES:
            raise NotFound(f"clearing job {job_id} not found")
        return job

    def jobs(self, caller: Caller, auction_id: int, filters: JobFilter, page: Pagination) -> KeyedPage:
        """The auction's clearing jobs (``filters``' status and creation time), rows ``(Job,)``."""
        if (
            caller.role not in READ_ALL_ROLES
            or AuctionRepository(self.session).readable(caller, auction_id) is None
        ):
            raise NotFound(f"auction {auction_id} has no clearing jobs visible to you")
        mine = replace(filters, kind=JobKind.CLEARING, auction_id=auction_id)
        return page_jobs(self.session, mine, page, "clearing-jobs")

    def visible_class(
        self, caller: Caller, auction_id: int, period_class: str
    ) -> tuple[Auction, ClassAuction]:
        """The auction and its class whose results the caller may read: posted, or cleared for the OI
        and auditors (404 otherwise)."""
        auctions = AuctionRepository(self.session)
        auction = auctions.readable(caller, auction_id)
        status = AuctionStatus(auction.status) if auction else None
        visible = status is AuctionStatus.POSTED or (
            status is AuctionStatus.CLEARED and caller.role in READ_ALL_ROLES
        )
        if auction is not None and not visible:
            raise NotFound(
                f"the results of auction {auction_id} are not posted yet: the OI posts them after the "
                f"clearing, due by {posting_deadline(auction.closes_at).isoformat()} (OA 7.3.7)"
            )
        cls = auctions.class_of(auction_id, period_class) if auction is not None else None
        if auction is None or cls is None or cls.id is None:
            raise NotFound(f"no posted results for auction {auction_id} ({period_class})")
        return auction, cls

    def posting_anchor(self, caller: Caller, auction_id: int) -> AuditAnchorPublic | None:
        """The auction's ``auction.posted`` link, the sub-chain heads sealed before it (the caller's own
        unless it may read all) and the signed head at it; ``None`` before posting."""
        link = latest_link(self.session, "auction.posted", lambda p: p.get("auction_id") == auction_id)
        if link is None:
            return None
        chains = None if caller.role in READ_ALL_ROLES else {actor_of(caller.participant_id)}
        return anchor_of(self.session, link, chains)

    def class_results(
        self, caller: Caller, auction_id: int, period_class: str, *, with_awards: bool = True
    ) -> ClassResultsPublic:
        """The class's results; ``with_awards=False`` leaves the awards out (a page reads them a page at
        a time)."""
        auction, cls = self.visible_class(caller, auction_id, period_class)
        assert cls.id is not None
        version = NetworkRepository(self.session).get(auction.network_version_id)
        if version is None:
            raise NotFound(f"auction {auction_id}: network version {auction.network_version_id} not found")
        names = ConstraintNamer(
            network_from_document(version.document), auction.contingency_set, auction.contingencies
        )
        rows = (
            []
            if not with_awards
            else self.session.exec(
                select(BidFill, Bid, Participant)
                .join(Bid, col(Bid.id) == col(BidFill.bid_id))
                .join(Participant, col(Participant.id) == col(Bid.participant_id))
                .where(BidFill.class_auction_id == cls.id, col(BidFill.cleared_mw_tenths) > 0)
                .order_by(col(Bid.source), col(Bid.sink), col(Participant.name), col(Bid.id))
            ).all()
        )
        awards = [
            AwardPublic(
                participant=p.name,
                side=SideName(b.side),
                source=b.source,
                sink=b.sink,
                hedge=HedgeName(b.hedge),
                mw=from_tenths(f.cleared_mw_tenths),
                clearing_price=from_cents(f.clearing_price_cents),
            )
            for f, b, p in rows
        ]
        prices = [
            NodalPricePublic(point_id=n.point_id, price=from_cents(n.price_cents))
            for n in self.repo.nodal_prices(cls.id)
        ]
        binding = [binding_public(b, names) for b in self.repo.binding(cls.id)]
        return ClassResultsPublic(
            auction_id=auction_id,
            period_class=PeriodClassName(period_class),
            hours=cls.hours,
            awards=awards,
            nodal_prices=prices,
            binding_constraints=binding,
            audit=self.posting_anchor(caller, auction_id),
        )

    def award_batches(
        self, caller: Caller, auction_id: int, period_class: str
    ) -> Iterator[list[AwardPublic]]:
        """The class auction's awards in :meth:`class_results` order, a batch at a time, read lazily on a
        connection of their own (the visibility is checked now; the rows are read as they are sent)."""
        _, cls = self.visible_class(caller, auction_id, period_class)
        assert cls.id is not None
        bind = self.session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        return _award_batches(engine, cls.id)


AWARD_BATCH = 10_000
AWARD_SCHEMA = pa.schema(
    [
        ("participant", pa.string()),
        ("side", pa.string()),
        ("source", pa.string()),
        ("sink", pa.string()),
        ("hedge", pa.string()),
        ("mw_tenths", pa.int64()),
        ("clearing_price_cents", pa.int64()),
    ]
)
"""The awards as Parquet: MW in integer tenths, the clearing price ($/MW for the period) in cents."""


def _award_batches(engine: Engine, class_auction_id: int) -> Iterator[list[AwardPublic]]:
    statement = (
        select(  # type: ignore[call-overload]
            Participant.name,
            Bid.side,
            Bid.source,
            Bid.sink,
            Bid.hedge,
            BidFill.cleared_mw_tenths,
            BidFill.clearing_price_cents,
        )
        .join(Bid, col(Bid.id) == col(BidFill.bid_id))
        .join(Participant, col(Participant.id) == col(Bid.participant_id))
        .where(BidFill.class_auction_id == class_auction_id, col(BidFill.cleared_mw_tenths) > 0)
        .order_by(col(Bid.source), col(Bid.sink), col(Participant.name), col(Bid.id))
        .execution_options(yield_per=AWARD_BATCH)
    )
    with Session(engine) as session:
        for part in session.execute(statement).partitions():
            yield [
                AwardPublic(
                    participant=name,
                    side=SideName(side),
                    source=source,
                    sink=sink,
                    hedge=HedgeName(hedge),
                    mw=from_tenths(tenths),
                    clearing_price=from_cents(cents),
                )
                for name, side, source, sink, hedge, tenths, cents in part
            ]


def awards_csv_chunks(batches: Iterator[list[AwardPublic]]) -> Iterator[str]:
    """The awards table as CSV, the same text as :func:`results_csv`, a batch at a time."""
    fields = list(AwardPublic.model_fields)
    yield write_csv(fields, [])
    for batch in batches:
        dumped = (item.model_dump(mode="json") for item in batch)
        yield write_csv(fields, ([d[c] for c in fields] for d in dumped)).split("\n", 1)[1]


def awards_record_batches(batches: Iterator[list[AwardPublic]]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield pa.RecordBatch.from_pydict(
            {
                "participant": [a.participant for a in batch],
                "side": [a.side.value for a in batch],
                "source": [a.source for a in batch],
                "sink": [a.sink for a in batch],
                "hedge": [a.hedge.value for a in batch],
                "mw_tenths": [int(a.mw * 10) for a in batch],
                "clearing_price_cents": [int(a.clearing_price * 100) for a in batch],
            },
            schema=AWARD_SCHEMA,
        )


def results_csv(results: ClassResultsPublic, table: str) -> str:
    """One results table as CSV (``awards``, ``nodal_prices`` or ``binding_constraints``)."""
    fields = {
        "awards": list(AwardPublic.model_fields),
        "nodal_prices": list(NodalPricePublic.model_fields),
        "binding_constraints": list(BindingConstraintPublic.model_fields),
    }[table]
    dumped = (item.model_dump(mode="json") for item in getattr(results, table))
    # a list (a contingency's branches) is one cell, its entries separated by spaces
    return write_csv(
        fields, ([" ".join(v) if isinstance(v, list) else v for v in (d[c] for c in fields)] for d in dumped)
    )
