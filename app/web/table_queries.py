"""The statements behind the portal's paged tables, with who may read which rows.

Each function returns a statement the page runs a page at a time (:func:`app.web.paged.page_of`)
or streams whole as CSV (:func:`app.web.paged.stream_csv`). The rules of what a caller may read are
the services': an auction is found through :class:`~app.auctions.service.AuctionService` or
:meth:`~app.clearing.results.ResultsService.visible_class` first (404 otherwise), a participant
reads only its own bids (the OI and auditors every bid), and fills only once the results are posted
(:func:`app.bids.service.fills_visible`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import col

from api_schemas.bids import BidPublic
from api_schemas.clearing import AwardPublic, NodalPricePublic
from app.audit.tables import AuditLog, AuditSubLog
from app.bid_fills import BidFill
from app.bids.credit import Side
from app.bids.mapping import BID_CSV_COLUMNS, bid_public
from app.bids.tables import Bid
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller
from app.participants.tables import Participant
from app.units import from_cents, from_tenths, to_cents
from app.web.paged import AnySelect, Column, Filter, FilterKind, TableSpec

# -- bids and offers of one auction ------------------------------------------------------------

_BID_COLUMNS = (
    Column("id", "Id", col(Bid.id), numeric=True),
    Column("side", "Side", col(Bid.side)),
    Column("period_class", "Class", col(Bid.period_class)),
    Column("source", "Source", col(Bid.source)),
    Column("sink", "Sink", col(Bid.sink)),
    Column("hedge", "Hedge", col(Bid.hedge)),
    Column("mw", "MW", col(Bid.mw_tenths), numeric=True),
    Column("price", "Price $/MW", col(Bid.price_cents), numeric=True),
    Column("status", "State", col(Bid.status)),
)
_FILL_COLUMNS = (
    Column("cleared_mw", "Cleared MW", col(BidFill.cleared_mw_tenths), numeric=True),
    Column("clearing_price", "Clearing price $/MW", col(BidFill.clearing_price_cents), numeric=True),
)
_BID_FILTERS = (
    Filter("side", "Side", FilterKind.EQUALS, col(Bid.side), choices=("buy", "sell")),
    Filter(
        "period_class", "Class", FilterKind.EQUALS, col(Bid.period_class), choices=("on_peak", "off_peak")
    ),
    Filter("status", "State", FilterKind.EQUALS, col(Bid.status), choices=("active", "withdrawn")),
    Filter("source", "Source contains", FilterKind.CONTAINS, col(Bid.source)),
    Filter("sink", "Sink contains", FilterKind.CONTAINS, col(Bid.sink)),
)


def bid_spec(fills_shown: bool) -> TableSpec:
    """The bids table; the fill columns sort only once fills are shown."""
    return TableSpec(
        name="bids",
        columns=_BID_COLUMNS + (_FILL_COLUMNS if fills_shown else ()),
        filters=_BID_FILTERS,
        default_sort="id",
        tiebreak=col(Bid.id),
    )


def bids_query(caller: Caller, auction_id: int) -> AnySelect:
    """The caller's readable bids of an auction (found readable first) with their fills."""
    stmt = (
        select(Bid, BidFill)
        .outerjoin(BidFill, col(BidFill.bid_id) == col(Bid.id))
        .where(col(Bid.auction_id) == auction_id)
    )
    if caller.role not in READ_ALL_ROLES:
        stmt = stmt.where(col(Bid.participant_id) == caller.participant_id)
    return stmt


def bids_count_query(caller: Caller, auction_id: int) -> AnySelect:
    """The rows of :func:`bids_query` without the fills (to count them: the filters read bids alone)."""
    stmt = select(col(Bid.id)).where(col(Bid.auction_id) == auction_id)
    if caller.role not in READ_ALL_ROLES:
        stmt = stmt.where(col(Bid.participant_id) == caller.participant_id)
    return stmt


def bid_row(found: Any, fills_shown: bool) -> BidPublic:
    bid, fill = found
    return bid_public(bid, fill if fills_shown else None)


def bids_csv_query(caller: Caller, auction_id: int) -> AnySelect:
    """:func:`bids_query` as the plain columns of the CSV (no object is built per row)."""
    return bids_query(caller, auction_id).with_only_columns(
        col(Bid.id),
        col(Bid.side),
        col(Bid.period_class),
        col(Bid.source),
        col(Bid.sink),
        col(Bid.hedge),
        col(Bid.mw_tenths),
        col(Bid.price_cents),
        col(Bid.status),
        col(BidFill.cleared_mw_tenths),
        col(BidFill.clearing_price_cents),
    )


def bid_csv_row(found: Any, fills_shown: bool) -> tuple[Any, ...]:
    """A row of :func:`bids_csv_query` in the units of :func:`app.bids.mapping.bid_public` (MW to 0.1,
    $/MW and the fill's $ amount to the cent; the fill's cells empty until fills are shown)."""
    bid_id, side, period_class, source, sink, hedge, mw_tenths, price_cents, status, cleared, price = found
    fill: tuple[Any, ...] = ("", "", "")
    if fills_shown and cleared is not None:
        mw, clearing = from_tenths(cleared), from_cents(price)
        sign = 1 if side == Side.BUY.value else -1
        fill = (mw, clearing, from_cents(to_cents(sign * clearing * mw)))
    return (
        bid_id,
        side,
        period_class,
        source,
        sink,
        hedge,
        from_tenths(mw_tenths),
        from_cents(price_cents),
        status,
        *fill,
    )


BID_CSV_HEADER = BID_CSV_COLUMNS

# -- awards of one posted class ----------------------------------------------------------------

AWARD_SPEC = TableSpec(
    name="awards",
    columns=(
        Column("participant", "Participant", col(Participant.name)),
        Column("side", "Side", col(Bid.side)),
        Column("source", "Source", col(Bid.source)),
        Column("sink", "Sink", col(Bid.sink)),
        Column("hedge", "Hedge", col(Bid.hedge)),
        Column("mw", "MW", col(BidFill.cleared_mw_tenths), numeric=True),
        Column("clearing_price", "Clearing price $/MW", col(BidFill.clearing_price_cents), numeric=True),
    ),
    filters=(
        Filter("participant", "Participant contains", FilterKind.CONTAINS, col(Participant.name)),
        Filter("side", "Side", FilterKind.EQUALS, col(Bid.side), choices=("buy", "sell")),
        Filter("source", "Source contains", FilterKind.CONTAINS, col(Bid.source)),
        Filter("sink", "Sink contains", FilterKind.CONTAINS, col(Bid.sink)),
    ),
    default_sort="source",
    tiebreak=col(Bid.id),
)
AWARD_CSV_HEADER = tuple(AwardPublic.model_fields)


def awards_query(class_auction_id: int) -> AnySelect:
    """The awards of a class the caller may read (:meth:`ResultsService.visible_class` first)."""
    columns: list[Any] = [
        BidFill.cleared_mw_tenths,
        BidFill.clearing_price_cents,
        Bid.side,
        Bid.source,
        Bid.sink,
        Bid.hedge,
        Participant.name,
    ]
    return (
        select(*columns)
        .join(Bid, col(Bid.id) == col(BidFill.bid_id))
        .join(Participant, col(Participant.id) == col(Bid.participant_id))
        .where(and_(col(BidFill.class_auction_id) == class_auction_id, col(BidFill.cleared_mw_tenths) > 0))
    )


def award_row(found: Any) -> AwardPublic:
    mw, price, side, source, sink, hedge, name = found
    return AwardPublic(
        participant=name,
        side=side,
        source=source,
        sink=sink,
        hedge=hedge,
        mw=from_tenths(mw),
        clearing_price=from_cents(price),
    )


def award_csv_row(found: Any) -> tuple[Any, ...]:
    """A row of :func:`awards_query` in the units of :func:`award_row` (no model built per row)."""
    mw, price, side, source, sink, hedge, name = found
    return (name, side, source, sink, hedge, from_tenths(mw), from_cents(price))


# -- nodal prices of one class (held in memory: one row per priced point) -----------------------

NODAL_SPEC = TableSpec(
    name="nodal-prices",
    columns=(
        Column("point", "Pricing point", value=lambda p: p.point_id),
        Column("price", "Price $/MW", value=lambda p: p.price, numeric=True),
    ),
    filters=(Filter("point", "Point contains", FilterKind.CONTAINS, value=lambda p: p.point_id),),
    default_sort="point",
    prefix="nodes-",
)


def nodal_csv_row(p: NodalPricePublic) -> tuple[Any, ...]:
    return (p.point_id, p.price)


# -- the audit log ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditTable:
    """The global chain's table, or a participant's sub-chain's."""

    model: type[AuditLog] | type[AuditSubLog]
    chain: str | None

    @property
    def spec(self) -> TableSpec:
        m = self.model
        return TableSpec(
            name="audit",
            columns=(
                Column("seq", "Seq", col(m.seq), numeric=True),
                Column("at", "At (EPT)", col(m.at)),
                Column("actor", "Actor", col(m.actor)),
                Column("action", "Action", col(m.action)),
                Column("payload", "Payload"),
                Column("hash", "Hash"),
            ),
            filters=(
                Filter(
                    "actor", "Actor contains", FilterKind.CONTAINS, col(m.actor), hint="e.g. participant:3"
                ),
                Filter(
                    "action", "Action contains", FilterKind.CONTAINS, col(m.action), hint="e.g. window.opened"
                ),
                Filter("since", "From (EPT)", FilterKind.SINCE, col(m.at), hint="YYYY-MM-DD"),
                Filter("until", "Before (EPT)", FilterKind.UNTIL, col(m.at), hint="YYYY-MM-DD"),
            ),
            default_sort="seq",
            default_desc=True,
            tiebreak=col(m.seq),
        )

    def query(self) -> AnySelect:
        if self.model is AuditSubLog:
            return select(AuditSubLog).where(col(AuditSubLog.chain) == self.chain)
        return select(AuditLog)


def audit_table(chain: str | None) -> AuditTable:
    return AuditTable(AuditSubLog, chain) if chain else AuditTable(AuditLog, None)


AUDIT_CSV_HEADER = ("chain", "seq", "at", "actor", "action", "payload", "prev_hash", "hash")


def audit_csv_row(found: Any) -> tuple[Any, ...]:
    row: AuditLog | AuditSubLog = found[0]
    chain = row.chain if isinstance(row, AuditSubLog) else ""
    return (
        chain,
        row.seq,
        row.at.isoformat(),
        row.actor,
        row.action,
        json.dumps(json.loads(row.payload)),
        row.prev_hash,
        row.hash,
    )
