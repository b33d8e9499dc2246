"""The credit a participant holds, per delivery month and period class: the running totals of
:class:`app.bids.tables.CreditPosition` split where they come from.

Open orders: ``bid.credit_cents`` of the participant's active bids and offers in auctions not yet
posted; awards: ``bid_fill.award_credit_cents`` of its fills in posted auctions whose month has no
settlement run. These are the sums the two running totals are kept equal to
(:meth:`app.bids.repository.BidRepository.credit_resummed`,
:func:`app.bids.award_credit.awards_resummed`), grouped by the auction's month and the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.tables import Auction, ClassAuction
from app.bid_fills import BidFill
from app.bids.repository import ACTIVE, UNPOSTED
from app.bids.tables import Bid
from app.settlement.tables import SettlementRun

_bid = cast(sa.Table, sa.inspect(Bid).local_table)
_fill = cast(sa.Table, sa.inspect(BidFill).local_table)
_auction = cast(sa.Table, sa.inspect(Auction).local_table)
_class = cast(sa.Table, sa.inspect(ClassAuction).local_table)
_run = cast(sa.Table, sa.inspect(SettlementRun).local_table)


@dataclass(frozen=True, slots=True)
class CreditLine:
    """Cents held in one delivery month and class: by open orders, by awards not yet settled."""

    year: int
    month: int
    period_class: str
    orders_cents: int
    awards_cents: int

    @property
    def in_use_cents(self) -> int:
        return self.orders_cents + self.awards_cents


def credit_lines(session: Session, participant_id: int) -> list[CreditLine]:
    """Every (month, class) where the participant holds credit, by month then class."""
    keys = (_auction.c.year, _auction.c.month, _class.c.period_class)
    orders = session.execute(
        sa.select(*keys, sa.func.sum(_bid.c.credit_cents))
        .select_from(
            _bid.join(_class, _class.c.id == _bid.c.class_auction_id).join(
                _auction, _auction.c.id == _class.c.auction_id
            )
        )
        .where(
            _bid.c.participant_id == participant_id,
            _bid.c.status == ACTIVE,
            _auction.c.status.in_(UNPOSTED),
        )
        .group_by(*keys)
    ).all()
    settled = (
        sa.select(_run.c.id).where(_run.c.year == _auction.c.year, _run.c.month == _auction.c.month).exists()
    )
    awards = session.execute(
        sa.select(*keys, sa.func.sum(_fill.c.award_credit_cents))
        .select_from(
            _fill.join(_bid, _bid.c.id == _fill.c.bid_id)
            .join(_class, _class.c.id == _bid.c.class_auction_id)
            .join(_auction, _auction.c.id == _class.c.auction_id)
        )
        .where(
            _bid.c.participant_id == participant_id,
            _auction.c.status == AuctionStatus.POSTED.value,
            ~settled,
        )
        .group_by(*keys)
    ).all()
    found: dict[tuple[int, int, str], list[int]] = {}
    for year, month, period_class, cents in orders:
        found.setdefault((int(year), int(month), str(period_class)), [0, 0])[0] += int(cents or 0)
    for year, month, period_class, cents in awards:
        found.setdefault((int(year), int(month), str(period_class)), [0, 0])[1] += int(cents or 0)
    return [
        CreditLine(year, month, period_class, held[0], held[1])
        for (year, month, period_class), held in sorted(found.items())
        if held[0] or held[1]
    ]
