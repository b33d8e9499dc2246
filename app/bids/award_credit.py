"""The credit awards hold, as a running total per participant (``credit_position.awards_cents``).

An award holds credit from its auction's posting until its month's first settlement run
(:mod:`app.bids.credit`). At posting (:func:`hold_awards`), each fill of the auction gets its
credit (``bid_fill.award_credit_cents``, by :func:`app.bids.credit.award_credit_cents` with the floor
then in force) and, unless the month is already settled, each participant's total rises by the
sum of its fills. The month's first settlement run (:func:`release_month`, called when the run's
row is inserted, in the run's transaction) lowers each participant's total by the same stored
amounts, so the total never drifts from the re-sum (:func:`awards_resummed`) even if the floor
changes in between. A bid reads the total in one row instead of summing the participant's fills.

Both changes only lower or move credit that is already accounted: posting releases each order's
credit (the order's price bounds its award's clearing price) before it adds the awards, so a bid
that reads the totals just before a posting commits never sees less credit in use than after it.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.tables import Auction, ClassAuction
from app.bid_fills import BidFill
from app.bids.tables import Bid, CreditPosition
from app.settlement.tables import SettlementRun

_bid = cast(sa.Table, sa.inspect(Bid).local_table)
_fill = cast(sa.Table, sa.inspect(BidFill).local_table)
_auction = cast(sa.Table, sa.inspect(Auction).local_table)
_class = cast(sa.Table, sa.inspect(ClassAuction).local_table)
_position = cast(sa.Table, sa.inspect(CreditPosition).local_table)
_run = cast(sa.Table, sa.inspect(SettlementRun).local_table)

POSTED = AuctionStatus.POSTED.value


def _award_credit_sql(floor_cents_per_mwh: int) -> sa.ColumnElement[Any]:
    """:func:`app.bids.credit.award_credit_cents` as SQL over a fill joined to its bid and class:
    every term is >= 0, so ``(x + 9) / 10`` (integer division) rounds up."""
    price = _fill.c.clearing_price_cents
    per_mw = sa.case(
        (
            _bid.c.side == "buy",
            sa.case((price > 0, price), else_=0) + floor_cents_per_mwh * _class.c.hours,
        ),
        else_=sa.case((price < 0, -price), else_=0),
    )
    return (per_mw * _fill.c.cleared_mw_tenths + 9) // 10


def _month_settled(connection: Connection, year: int, month: int) -> bool:
    found = connection.execute(
        sa.select(_run.c.id).where(_run.c.year == year, _run.c.month == month).limit(1)
    ).first()
    return found is not None


def _move(connection: Connection, sums: list[tuple[int, int]], sign: int) -> None:
    """Add ``sign * cents`` to each participant's awards total (the row is made if missing)."""
    for participant_id, cents in sums:
        if not cents:
            continue
        done = connection.execute(
            _position.update()
            .where(_position.c.participant_id == participant_id)
            .values(awards_cents=_position.c.awards_cents + sign * int(cents))
        )
        if done.rowcount == 0:
            connection.execute(
                _position.insert().values(
                    participant_id=participant_id, in_use_cents=0, awards_cents=sign * int(cents)
                )
            )


def _sums(connection: Connection, where: sa.ColumnElement[bool]) -> list[tuple[int, int]]:
    rows = connection.execute(
        sa.select(_bid.c.participant_id, sa.func.sum(_fill.c.award_credit_cents))
        .select_from(
            _fill.join(_bid, _bid.c.id == _fill.c.bid_id).join(_auction, _auction.c.id == _bid.c.auction_id)
        )
        .where(where)
        .group_by(_bid.c.participant_id)
        .order_by(_bid.c.participant_id)
    ).all()
    return [(int(p), int(c or 0)) for p, c in rows]


def hold_awards(session: Session, auction_id: int, year: int, month: int, floor_cents_per_mwh: int) -> None:
    """At posting: fix each fill's award credit and add the participants' sums (unless the month
    is already settled: then its awards hold nothing)."""
    session.flush()
    connection = session.connection()
    credit = (
        sa.select(_award_credit_sql(floor_cents_per_mwh))
        .select_from(_bid.join(_class, _class.c.id == _bid.c.class_auction_id))
        .where(_bid.c.id == _fill.c.bid_id)
        .scalar_subquery()
    )
    connection.execute(
        _fill.update()
        .where(
            _fill.c.bid_id.in_(sa.select(_bid.c.id).where(_bid.c.auction_id == auction_id)),
            _fill.c.cleared_mw_tenths > 0,
        )
        .values(award_credit_cents=credit)
    )
    if not _month_settled(connection, year, month):
        _move(connection, _sums(connection, _bid.c.auction_id == auction_id), +1)


def release_month(connection: Connection, year: int, month: int) -> None:
    """The month's first settlement run: its posted awards stop holding credit."""
    where = sa.and_(_auction.c.year == year, _auction.c.month == month, _auction.c.status == POSTED)
    _move(connection, _sums(connection, where), -1)


def awards_held(session: Session, participant_id: int) -> int:
    """Cents the participant's unsettled awards hold: the running total."""
    held = session.execute(
        sa.select(_position.c.awards_cents).where(_position.c.participant_id == participant_id)
    ).scalar()
    return int(held or 0)


def awards_resummed(session: Session, participant_id: int) -> int:
    """The same, summed over the participant's fills in posted auctions of unsettled months (a check)."""
    settled = (
        sa.select(_run.c.id).where(_run.c.year == _auction.c.year, _run.c.month == _auction.c.month).exists()
    )
    found = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(_fill.c.award_credit_cents), 0))
        .select_from(
            _fill.join(_bid, _bid.c.id == _fill.c.bid_id).join(_auction, _auction.c.id == _bid.c.auction_id)
        )
        .where(_bid.c.participant_id == participant_id, _auction.c.status == POSTED, ~settled)
    ).scalar()
    return int(found or 0)


@event.listens_for(SettlementRun, "after_insert")
def _first_run_releases(_mapper: Any, connection: Connection, run: SettlementRun) -> None:
    """A month's first stored run releases its awards, in the run's own transaction."""
    runs = connection.execute(
        sa.select(sa.func.count()).select_from(_run).where(_run.c.year == run.year, _run.c.month == run.month)
    ).scalar_one()
    if runs == 1:
        release_month(connection, run.year, run.month)
