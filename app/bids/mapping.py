"""Wire schemas to orders, and bid rows to wire schemas."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import BidCreate, BidPublic, BidStatusName, FillPublic, HedgeName, SideName
from api_schemas.participants import CreditByMonthPublic, CreditLinePublic, CreditPublic
from app.bid_fills import BidFill
from app.bids.credit import Side
from app.bids.credit_breakdown import CreditLine
from app.bids.credit_service import CreditPosition
from app.bids.orders import OrderSpec
from app.bids.tables import Bid
from app.csv_export import write_csv
from app.units import from_cents, from_tenths, to_cents, to_tenths


def order_spec(body: BidCreate) -> OrderSpec:
    return OrderSpec(
        side=Side(body.side.value),
        period_class=body.period_class.value,
        source=body.source,
        sink=body.sink,
        hedge=body.hedge.value,
        mw_tenths=to_tenths(body.mw),
        price_cents=to_cents(body.price),
    )


def request_hash(auction_id: int, body: BidCreate) -> str:
    """Fingerprint of a creation request, for the idempotency check (normalised numbers)."""
    payload = {"auction_id": auction_id, **body.model_dump(mode="json")}
    payload["mw"] = str(to_tenths(body.mw))
    payload["price"] = str(to_cents(body.price))
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def fill_public(bid: Bid, fill: BidFill) -> FillPublic:
    mw = from_tenths(fill.cleared_mw_tenths)
    price = from_cents(fill.clearing_price_cents)
    sign = 1 if bid.side == Side.BUY.value else -1
    amount = from_cents(to_cents(sign * price * mw))
    return FillPublic(cleared_mw=mw, clearing_price=price, amount=amount)


def bid_public(bid: Bid, fill: BidFill | None) -> BidPublic:
    assert bid.id is not None
    return BidPublic(
        id=bid.id,
        auction_id=bid.auction_id,
        participant_id=bid.participant_id,
        side=SideName(bid.side),
        period_class=PeriodClassName(bid.period_class),
        source=bid.source,
        sink=bid.sink,
        hedge=HedgeName(bid.hedge),
        mw=from_tenths(bid.mw_tenths),
        price=from_cents(bid.price_cents),
        status=BidStatusName(bid.status),
        credit_held=from_cents(bid.credit_cents if bid.status == "active" else 0),
        created_at=bid.created_at,
        updated_at=bid.updated_at,
        fill=fill_public(bid, fill) if fill is not None else None,
    )


BID_CSV_COLUMNS = (
    "id",
    "side",
    "period_class",
    "source",
    "sink",
    "hedge",
    "mw",
    "price",
    "status",
    "cleared_mw",
    "clearing_price",
    "amount",
)


def bids_csv(bids: list[BidPublic]) -> str:
    """Bids with fills as CSV; the fill columns are empty until the auction is cleared."""

    def row(b: BidPublic) -> tuple[object, ...]:
        fill = (b.fill.cleared_mw, b.fill.clearing_price, b.fill.amount) if b.fill else ("", "", "")
        return (
            b.id,
            b.side.value,
            b.period_class.value,
            b.source,
            b.sink,
            b.hedge.value,
            b.mw,
            b.price,
            b.status.value,
            *fill,
        )

    return write_csv(BID_CSV_COLUMNS, (row(b) for b in bids))


def credit_public(position: CreditPosition) -> CreditPublic:
    return CreditPublic(
        participant_id=position.participant_id,
        credit_limit=from_cents(position.limit_cents),
        credit_in_use=from_cents(position.in_use_cents),
        credit_available=from_cents(position.available_cents),
        credit_in_use_by_awards=from_cents(position.awards_cents),
    )


def credit_by_month_public(position: CreditPosition, lines: Sequence[CreditLine]) -> CreditByMonthPublic:
    return CreditByMonthPublic(
        position=credit_public(position),
        lines=[
            CreditLinePublic(
                year=line.year,
                month=line.month,
                period_class=line.period_class,
                credit_in_use=from_cents(line.in_use_cents),
                credit_in_use_by_orders=from_cents(line.orders_cents),
                credit_in_use_by_awards=from_cents(line.awards_cents),
            )
            for line in lines
        ],
    )
