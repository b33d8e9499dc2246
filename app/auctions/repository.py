"""Every query on auctions and class auctions (drafts are visible to the OI and auditors only)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auctions.lifecycle import AuctionStatus
from app.auctions.tables import Auction, ClassAuction
from app.db import is_postgresql
from app.networks.tables import NetworkVersion
from app.paging import KeyedPage, Pagination, page_by_key
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller

MONTH_KEY = col(Auction.year) * 100 + col(Auction.month)
"""An auction's month as one integer (2027-01 is 202701): the auctions list's paging key."""


def _for_bidding(*, drafts: bool, share_lock: bool) -> sa.Select[Auction, ClassAuction, str]:
    stmt = (
        sa.select(Auction, ClassAuction, col(NetworkVersion.content_hash))
        .join(ClassAuction, col(ClassAuction.auction_id) == col(Auction.id))
        .join(NetworkVersion, col(NetworkVersion.id) == col(Auction.network_version_id))
        .where(col(Auction.id) == sa.bindparam("auction_id"))
        .order_by(col(ClassAuction.period_class).desc())
    )
    if not drafts:
        stmt = stmt.where(col(Auction.status) != AuctionStatus.DRAFT.value)
    if share_lock:
        stmt = stmt.with_for_update(read=True, of=Auction)
    return stmt


_FOR_BIDDING = {
    (drafts, share_lock): _for_bidding(drafts=drafts, share_lock=share_lock)
    for drafts in (False, True)
    for share_lock in (False, True)
}
"""The bid path's auction statement by (caller sees drafts, PostgreSQL), built once (building it per
request cost about half a millisecond of CPU)."""


class AuctionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _readable(self, caller: Caller) -> SelectOfScalar[Auction]:
        stmt = select(Auction)
        if caller.role not in READ_ALL_ROLES:
            stmt = stmt.where(Auction.status != AuctionStatus.DRAFT.value)
        return stmt

    def readable(self, caller: Caller, auction_id: int, *, share_lock: bool = False) -> Auction | None:
        """The auction if the caller may see it.

        ``share_lock`` holds the row against a concurrent close (PostgreSQL ``FOR SHARE``).
        """
        stmt = self._readable(caller).where(Auction.id == auction_id)
        if share_lock and is_postgresql(self.session):
            stmt = stmt.with_for_update(read=True)
        return self.session.exec(stmt).first()

    def for_bidding(self, caller: Caller, auction_id: int) -> tuple[Auction, list[ClassAuction], str] | None:
        """The auction if the caller may see it, its class auctions and its network's content hash, in
        one statement; the auction row is held against a concurrent close (PostgreSQL ``FOR SHARE``)."""
        stmt = _FOR_BIDDING[(caller.role in READ_ALL_ROLES, is_postgresql(self.session))]
        rows = self.session.execute(stmt, {"auction_id": auction_id}).all()
        if not rows:
            return None
        return rows[0][0], [row[1] for row in rows], str(rows[0][2])

    def list_readable(
        self, caller: Caller, *, limit: int, offset: int, year: int | None = None
    ) -> tuple[Sequence[Auction], int]:
        stmt = self._readable(caller)
        if year is not None:
            stmt = stmt.where(Auction.year == year)
        total = self.session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = self.session.exec(
            stmt.order_by(col(Auction.year), col(Auction.month)).limit(limit).offset(offset)
        ).all()
        return rows, int(total)

    def page_readable(self, caller: Caller, page: Pagination, *, year: int | None = None) -> KeyedPage:
        """The auctions the caller may read by month (key ``year * 100 + month``: one auction a
        month), by cursor or offset; rows are ``(Auction,)``."""
        stmt = self._readable(caller)
        if year is not None:
            stmt = stmt.where(Auction.year == year)
        return page_by_key(self.session, stmt, MONTH_KEY, page, "auctions")

    def get(self, auction_id: int) -> Auction | None:
        return self.session.get(Auction, auction_id)

    def lock(self, auction_id: int) -> Auction | None:
        stmt = select(Auction).where(Auction.id == auction_id)
        if is_postgresql(self.session):
            stmt = stmt.with_for_update()
        return self.session.exec(stmt.execution_options(populate_existing=True)).first()

    def by_month(self, year: int, month: int) -> Auction | None:
        return self.session.exec(select(Auction).where(Auction.year == year, Auction.month == month)).first()

    def classes(self, auction_id: int) -> Sequence[ClassAuction]:
        return self.session.exec(
            select(ClassAuction)
            .where(ClassAuction.auction_id == auction_id)
            .order_by(col(ClassAuction.period_class).desc())
        ).all()

    def class_of(self, auction_id: int, period_class: str) -> ClassAuction | None:
        return self.session.exec(
            select(ClassAuction).where(
                ClassAuction.auction_id == auction_id, ClassAuction.period_class == period_class
            )
        ).first()

    def add(self, auction: Auction, classes: Sequence[ClassAuction]) -> Auction:
        self.session.add(auction)
        self.session.flush()
        assert auction.id is not None
        for c in classes:
            c.auction_id = auction.id
            self.session.add(c)
        self.session.flush()
        return auction

    def save(self, auction: Auction) -> Auction:
        self.session.add(auction)
        self.session.flush()
        return auction
