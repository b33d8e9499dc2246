"""The cleared trades of an auction (:class:`auction.auction_settlement.ClearedTrade`) from stored fills.

A fill with MW > 0 of a bid is a ``BUY``, of an offer a ``SELL``, at the fill's clearing price
(integer cents per MW -> ``Decimal`` $/MW for the period). Participants are named by id (text),
the reference is the bid id; the auction id is the auction's. A read model of the clearing's tables,
used by posting (ledger entries) and by the auction revenue statements (OA 7.3.8, 7.3.9).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from app.auctions.tables import Auction, ClassAuction
from app.bid_fills import BidFill
from app.bids.tables import Bid
from app.holdings.ledger_mapping import holder_name, key_of
from auction.auction_settlement import ClearedTrade, Side


@dataclass(frozen=True, slots=True)
class StoredTrade:
    trade: ClearedTrade
    bid_id: int
    price_cents: int


def cleared_trades(session: Session, auction: Auction) -> list[StoredTrade]:
    assert auction.id is not None
    rows = session.exec(
        select(BidFill, Bid, ClassAuction)
        .join(Bid, col(Bid.id) == col(BidFill.bid_id))
        .join(ClassAuction, col(ClassAuction.id) == col(BidFill.class_auction_id))
        .where(ClassAuction.auction_id == auction.id, BidFill.cleared_mw_tenths > 0)
        .order_by(col(ClassAuction.period_class).desc(), col(BidFill.bid_id))
    ).all()
    out = []
    for fill, bid, cls in rows:
        assert bid.id is not None
        trade = ClearedTrade(
            auction_id=str(auction.id),
            participant=holder_name(bid.participant_id),
            side=Side(bid.side),
            key=key_of(auction.year, auction.month, cls.period_class, bid.source, bid.sink, bid.hedge),
            mw_tenths=fill.cleared_mw_tenths,
            price_per_mw=Decimal(fill.clearing_price_cents) / 100,
            reference=str(bid.id),
        )
        out.append(StoredTrade(trade, bid.id, fill.clearing_price_cents))
    return out
