"""Posting (OA 7.3.7): the cleared auction becomes public and its awards become holdings.

Awards are appended to the holdings ledger: a bid's fill as ``auction_purchase`` (+MW, at the
clearing price), an offer's fill as ``auction_sale`` (-MW; the FTR reverts to the offeror when the
period ends, OA 7.3.2), for the auction's month and the award's class.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.auctions.lifecycle import AuctionStatus
from app.auctions.repository import AuctionRepository
from app.auctions.service import AuctionService, AuctionView
from app.bids.tables import Bid
from app.clearing.repository import ClearingRepository
from app.errors import NotFound
from app.holdings.repository import HoldingRepository
from app.holdings.tables import FtrHolding


def post_auction(session: Session, auction_id: int, now: datetime) -> AuctionView:
    auctions = AuctionRepository(session)
    auction = auctions.lock(auction_id)
    if auction is None:
        raise NotFound(f"auction {auction_id} not found")
    service = AuctionService(session)
    service.mark(auction, AuctionStatus.POSTED, now)
    entries: list[FtrHolding] = []
    for cls in auctions.classes(auction_id):
        assert cls.id is not None
        for fill in ClearingRepository(session).fills(cls.id):
            if fill.cleared_mw_tenths <= 0:
                continue
            bid = session.get(Bid, fill.bid_id)
            assert bid is not None
            sign = 1 if bid.side == "buy" else -1
            entries.append(
                FtrHolding(
                    holder_id=bid.participant_id,
                    year=auction.year,
                    month=auction.month,
                    period_class=cls.period_class,
                    source=bid.source,
                    sink=bid.sink,
                    hedge=bid.hedge,
                    mw_tenths=sign * fill.cleared_mw_tenths,
                    price_cents=fill.clearing_price_cents,
                    origin="auction_purchase" if sign > 0 else "auction_sale",
                    auction_id=auction_id,
                    bid_id=bid.id,
                    created_at=now,
                )
            )
    HoldingRepository(session).add_all(entries)
    return service.get_view(auction, now)
