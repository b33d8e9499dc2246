"""The auditor's download of a clearing's LP: rebuilt on demand from the stored clearing inputs.

The inputs are read as the clearing job read them (:func:`app.clearing.tasks.class_snapshots`), but
the FTRs held are those recorded before the auction's last successful clearing job started (so a
posted auction's own awards, and later transfers, are not counted). The snapshots' fingerprint is
compared with that job's ``input_hash``; the LP's header says whether they match. The LP is written
a block of rows at a time (:mod:`feasibility.lp_export`) and its SHA-256 is computed the same way,
without keeping it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.clearing.engine import ClassSnapshot, OrderRow, _base_model, _contingencies, sequence_fingerprint
from app.clearing.repository import ClearingRepository
from app.clearing.tasks import class_snapshots
from app.errors import InvalidStateTransition, NotFound
from app.jobs import JobKind
from app.jobs.repository import JobRepository
from app.networks.outages import network_from_document
from network.model import PeriodConditions

LP_MEDIA_TYPE = "text/plain; charset=utf-8"
CLEARED = (AuctionStatus.CLEARED, AuctionStatus.POSTED)
BLOCK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ClearingLp:
    """What an LP export is built from: one class auction's inputs and the job that cleared them."""

    auction_id: int
    job_id: int
    job_input_hash: str | None
    inputs_hash: str
    snapshot: ClassSnapshot
    binding: tuple[tuple[str, str | None], ...] | None
    """the stored binding rows to write (``None``: every row of the feasibility test)"""

    @property
    def inputs_match(self) -> bool:
        return self.job_input_hash == self.inputs_hash

    def header(self) -> list[str]:
        verdict = "matches" if self.inputs_match else "DIFFERS FROM"
        return [
            f"FTR auction {self.auction_id}, {self.snapshot.period_class} class auction: clearing LP",
            f"inputs hash {self.inputs_hash} {verdict} clearing job {self.job_id}'s input hash "
            f"{self.job_input_hash}",
            "x<j> in MW, objective in $ (bid prices $/MW; offers at minus their reservation price)",
            "rows: every row of the simultaneous feasibility test"
            if self.binding is None
            else f"rows: the {len(self.binding)} binding constraints the clearing stored, both directions "
            "(the same optimum: the other rows have no shadow price; ?rows=all writes every row)",
        ]

    def filename(self) -> str:
        rows = "" if self.binding is not None else "-all-rows"
        return f"auction-{self.auction_id}-{self.snapshot.period_class}{rows}.lp"


def clearing_lp(
    session: Session, auction_id: int, period_class: str, *, all_rows: bool = False
) -> ClearingLp:
    """The inputs of the class auction's last successful clearing (the auction cleared or posted);
    the rows written are the stored binding constraints, or every row (``all_rows``: large on a
    big case with contingencies, ``constraints x (1 + contingencies) x 2`` rows)."""
    auction = AuctionRepository(session).get(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    if AuctionStatus(auction.status) not in CLEARED:
        raise InvalidStateTransition(
            f"auction {auction_id} is {auction.status}: its LP is exported once it is cleared"
        )
    job = JobRepository(session).last_succeeded_of_auction(JobKind.CLEARING, auction_id=auction_id)
    if job is None:
        raise NotFound(f"auction {auction_id} has no successful clearing job")
    assert job.id is not None and job.started_at is not None
    snapshots = class_snapshots(session, auction, holdings_before=job.started_at)
    found = [s for s in snapshots if s.period_class == period_class]
    if not found:
        raise NotFound(f"auction {auction_id} has no {period_class} class auction")
    binding = None
    if not all_rows:
        stored = ClearingRepository(session).binding(found[0].class_auction_id)
        binding = tuple((b.constraint_id, b.contingency_id) for b in stored)
    return ClearingLp(
        auction_id=auction_id,
        job_id=job.id,
        job_input_hash=job.input_hash,
        inputs_hash=sequence_fingerprint([s.fingerprint() for s in snapshots]),
        snapshot=found[0],
        binding=binding,
    )


def lp_text(lp: ClearingLp) -> Iterator[str]:
    """The LP, line by line (the solver stack loads on the first call, as for a clearing)."""
    from auction.bids import Bid, HeldFtr, Offer
    from auction.lp_export import clearing_lp_lines
    from market_terms import Hedge

    snap = lp.snapshot
    orders = sorted(snap.orders, key=lambda o: o.bid_id)

    def terms(o: OrderRow) -> dict[str, Any]:
        """As :func:`app.clearing.engine.clear_class` gives them to the engine (MW, $/MW)."""
        return {
            "participant": str(o.participant_id),
            "source": o.source,
            "sink": o.sink,
            "mw": o.mw_tenths / 10,
            "price": o.price_cents / 100,
            "hedge": Hedge(o.hedge),
        }

    bids = [Bid(bid_id=str(o.bid_id), **terms(o)) for o in orders if o.side == "buy"]
    offers = [Offer(offer_id=str(o.bid_id), **terms(o)) for o in orders if o.side == "sell"]
    held = [
        HeldFtr(holder=str(h), source=s, sink=t, mw=mw / 10, hedge=Hedge(hedge))
        for h, s, t, hedge, mw in _base_model(snap)
    ]
    conditions = PeriodConditions(
        scheduled_outages=snap.scheduled_outages,
        loop_flow_mw={k: float(Decimal(v)) for k, v in snap.loop_flow_mw},
    )
    yield from clearing_lp_lines(
        network_from_document(snap.network_document),
        bids,
        offers,
        held,
        conditions=conditions,
        contingencies=_contingencies(snap),
        header=lp.header(),
        binding=lp.binding,
    )


def lp_blocks(lp: ClearingLp) -> Iterator[bytes]:
    """The LP as UTF-8 blocks of about :data:`BLOCK_BYTES` (what the download streams)."""
    block: list[str] = []
    size = 0
    for line in lp_text(lp):
        block.append(line)
        size += len(line)
        if size >= BLOCK_BYTES:
            yield "".join(block).encode()
            block, size = [], 0
    if block:
        yield "".join(block).encode()


def lp_sha256(lp: ClearingLp) -> str:
    """SHA-256 of the download's bytes, computed by writing the LP once more (nothing kept)."""
    digest = hashlib.sha256()
    for block in lp_blocks(lp):
        digest.update(block)
    return digest.hexdigest()
