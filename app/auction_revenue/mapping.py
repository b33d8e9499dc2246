"""Pure auction-settlement answers to wire schemas and CSV."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from api_schemas.auction_revenue import (
    AuctionStatementPublic,
    RevenueAllocationPublic,
    RevenueSharePublic,
    StatementLinePublic,
)
from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName
from app.csv_export import write_csv
from app.units import from_cents, from_tenths
from auction.auction_settlement import AuctionStatement


def statement_public(s: AuctionStatement, bid_ids: Mapping[str, int]) -> AuctionStatementPublic:
    return AuctionStatementPublic(
        auction_id=int(s.auction_id),
        participant_id=int(s.participant),
        lines=[
            StatementLinePublic(
                bid_id=bid_ids[ln.trade.reference],
                side=ln.trade.side.value,
                period_class=PeriodClassName(ln.trade.key.period_class.value),
                source=ln.trade.key.source,
                sink=ln.trade.key.sink,
                hedge=HedgeName(ln.trade.key.hedge.value),
                mw=from_tenths(ln.trade.mw_tenths),
                clearing_price=ln.trade.price_per_mw.quantize(from_cents(1)),
                amount=from_cents(ln.amount_cents),
                charge=from_cents(ln.charge_cents),
            )
            for ln in s.lines
        ],
        purchases=from_cents(s.purchases_cents),
        sales=from_cents(s.sales_cents),
        net_charge=from_cents(s.net_charge_cents),
    )


STATEMENT_COLUMNS = (
    "participant_id",
    "bid_id",
    "side",
    "period_class",
    "source",
    "sink",
    "hedge",
    "mw",
    "clearing_price",
    "amount",
    "charge",
)


def statements_csv(statements: Sequence[AuctionStatementPublic]) -> str:
    return write_csv(
        STATEMENT_COLUMNS,
        (
            [
                s.participant_id,
                ln.bid_id,
                ln.side,
                ln.period_class.value,
                ln.source,
                ln.sink,
                ln.hedge.value,
                ln.mw,
                ln.clearing_price,
                ln.amount,
                ln.charge,
            ]
            for s in statements
            for ln in s.lines
        ),
    )


def allocation_public(
    auction_id: int, net_cents: int, shares: Mapping[int, int], reqs: Mapping[int, int]
) -> RevenueAllocationPublic:
    return RevenueAllocationPublic(
        auction_id=auction_id,
        net_revenue=from_cents(net_cents),
        shares=[
            RevenueSharePublic(owner_id=o, requirement=from_cents(reqs[o]), amount=from_cents(c))
            for o, c in sorted(shares.items())
        ],
    )


def allocation_csv(a: RevenueAllocationPublic) -> str:
    return write_csv(
        ("owner_id", "requirement", "amount"), ([s.owner_id, s.requirement, s.amount] for s in a.shares)
    )
