"""Every query on bids and offers; reads only return what the caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auctions.lifecycle import AuctionStatus
from app.auctions.tables import Auction, ClassAuction
from app.bid_fills import BidFill
from app.bids.tables import Bid
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller
from app.settlement.tables import SettlementRun

ACTIVE = "active"
WITHDRAWN = "withdrawn"
UNPOSTED = (
    AuctionStatus.DRAFT.value,
    AuctionStatus.OPEN.value,
    AuctionStatus.CLOSED.value,
    AuctionStatus.CLEARED.value,
)
"""An order holds credit until its auction's results are posted; from then on its award does."""


class BidRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _readable(self, caller: Caller) -> SelectOfScalar[Bid]:
        stmt = select(Bid)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(Bid.participant_id == caller.participant_id)
        return stmt

    def readable(self, caller: Caller, bid_id: int) -> Bid | None:
        return self.session.exec(self._readable(caller).where(Bid.id == bid_id)).first()

    def owned(self, caller: Caller, bid_id: int) -> Bid | None:
        """The caller's own bid (writes: even the OI cannot change a participant's bid)."""
        return self.session.exec(
            select(Bid).where(Bid.id == bid_id, Bid.participant_id == caller.participant_id)
        ).first()

    def list_readable(
        self, caller: Caller, auction_id: int, *, limit: int, offset: int
    ) -> tuple[Sequence[tuple[Bid, BidFill | None]], int]:
        stmt = self._readable(caller).where(Bid.auction_id == auction_id)
        total = self.session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = self.session.exec(
            select(Bid, BidFill)
            .outerjoin(BidFill, col(BidFill.bid_id) == col(Bid.id))
            .where(col(Bid.id).in_(stmt.with_only_columns(col(Bid.id)).scalar_subquery()))
            .order_by(col(Bid.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return [(b, f) for b, f in rows], int(total)

    def fill(self, bid_id: int) -> BidFill | None:
        return self.session.get(BidFill, bid_id)

    def by_idempotency_key(self, participant_id: int, key: str) -> Bid | None:
        return self.session.exec(
            select(Bid).where(Bid.participant_id == participant_id, Bid.idempotency_key == key)
        ).first()

    def ids_with_key_prefix(self, participant_id: int, prefix: str) -> list[int]:
        ids = self.session.exec(
            select(Bid.id)
            .where(
                Bid.participant_id == participant_id,
                col(Bid.idempotency_key).startswith(prefix, autoescape=True),
            )
            .order_by(col(Bid.id))
        ).all()
        return [int(i) for i in ids if i is not None]

    def credit_in_use(self, participant_id: int, *, excluding_bid: int | None = None) -> int:
        """Cents held by the participant's active orders in auctions not yet posted."""
        stmt = (
            select(func.coalesce(func.sum(Bid.credit_cents), 0))
            .join(Auction, col(Auction.id) == col(Bid.auction_id))
            .where(
                Bid.participant_id == participant_id, Bid.status == ACTIVE, col(Auction.status).in_(UNPOSTED)
            )
        )
        if excluding_bid is not None:
            stmt = stmt.where(Bid.id != excluding_bid)
        return int(self.session.exec(stmt).one())

    def unsettled_awards(self, participant_id: int) -> list[tuple[str, int, int, int]]:
        """``(side, clearing price cents/MW, cleared MW tenths, class hours)`` of every filled order of
        the participant in a posted auction whose month has no settlement run yet."""
        settled = (
            select(SettlementRun.id)
            .where(SettlementRun.year == Auction.year, SettlementRun.month == Auction.month)
            .exists()
        )
        stmt = (
            select(Bid.side, BidFill.clearing_price_cents, BidFill.cleared_mw_tenths, ClassAuction.hours)
            .join(BidFill, col(BidFill.bid_id) == col(Bid.id))
            .join(ClassAuction, col(ClassAuction.id) == col(Bid.class_auction_id))
            .join(Auction, col(Auction.id) == col(Bid.auction_id))
            .where(
                Bid.participant_id == participant_id,
                BidFill.cleared_mw_tenths > 0,
                Auction.status == AuctionStatus.POSTED.value,
                ~settled,
            )
        )
        return [(str(s), int(p), int(q), int(h)) for s, p, q, h in self.session.exec(stmt).all()]

    def open_offers(self, participant_id: int, class_auction_id: int) -> Sequence[Bid]:
        """The participant's active offers in a class auction (they reserve the MW they offer)."""
        return self.session.exec(
            select(Bid)
            .where(
                Bid.participant_id == participant_id,
                Bid.class_auction_id == class_auction_id,
                Bid.side == "sell",
                Bid.status == ACTIVE,
            )
            .order_by(col(Bid.id))
        ).all()

    def add(self, bid: Bid) -> Bid:
        self.session.add(bid)
        self.session.flush()
        return bid

    def add_many(self, participant_id: int, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert the participant's new bids; their ids in row order.

        Called under the participant's lock, so the participant's ids above the highest one before
        the insert are exactly these rows (ids grow in insertion order). A plain executemany
        avoids building one giant multi-row statement per batch.
        """
        if not rows:
            return []
        before = self.session.exec(
            select(func.coalesce(func.max(Bid.id), 0)).where(Bid.participant_id == participant_id)
        ).one()
        self.session.execute(insert(Bid).execution_options(render_nulls=True), list(rows))
        ids = self.session.exec(
            select(Bid.id)
            .where(Bid.participant_id == participant_id, col(Bid.id) > before)
            .order_by(col(Bid.id))
        ).all()
        return [int(i) for i in ids if i is not None]

    def save(self, bid: Bid) -> Bid:
        self.session.add(bid)
        self.session.flush()
        return bid

    def active_in_class(self, class_auction_id: int) -> Sequence[Bid]:
        return self.session.exec(
            select(Bid)
            .where(Bid.class_auction_id == class_auction_id, Bid.status == ACTIVE)
            .order_by(col(Bid.id))
        ).all()
