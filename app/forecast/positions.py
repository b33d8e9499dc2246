"""The FTRs a forecast pays: what will be held in the auction's month once its results are posted.

Per period class, per (holder, source, sink, hedge): the holdings already recorded for the month
(allocations, earlier auctions, transfers) plus this auction's cleared buy MW minus its cleared
sell MW (OA 7.3.6(c)); ledger entries the auction itself posted are left out, so a posted
auction's awards are not counted twice. Only positive net positions are forecast. MW are stored in tenths and
become float MW here. Options are paid like obligations by the forecast (a positive target
allocation is what stresses revenue adequacy; an option's negative hours are simply not paid,
which the forecast does not model).
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from app.auctions.repository import AuctionRepository
from app.bid_fills import BidFill
from app.bids.repository import BidRepository
from app.holdings.repository import HoldingRepository
from app.participants.tables import Participant
from simulation.forecast import FtrPosition

_Key = tuple[int, str, str, str, str]  # holder, period class, source, sink, hedge


def forecast_positions(session: Session, auction_id: int) -> tuple[FtrPosition, ...]:
    """Net positions of every holder for the auction's month after its awards.

    An id reads ``<holder name>/<class>/<source>-><sink>/<hedge>`` (unique: one net position per key).
    """
    auctions = AuctionRepository(session)
    auction = auctions.get(auction_id)
    if auction is None or auction.id is None:
        raise LookupError(f"auction {auction_id} not found")
    net: dict[_Key, int] = defaultdict(int)
    for cls in auctions.classes(auction.id):
        assert cls.id is not None
        for h in HoldingRepository(session).for_period(auction.year, auction.month, cls.period_class):
            if h.auction_id == auction.id:
                continue  # this auction's own awards, once posted, are counted from its fills below
            net[(h.holder_id, cls.period_class, h.source, h.sink, h.hedge)] += h.mw_tenths
        for bid in BidRepository(session).active_in_class(cls.id):
            fill = session.get(BidFill, bid.id)
            if fill is None or fill.cleared_mw_tenths <= 0:
                continue
            sign = 1 if bid.side == "buy" else -1
            key = (bid.participant_id, cls.period_class, bid.source, bid.sink, bid.hedge)
            net[key] += sign * fill.cleared_mw_tenths
    names: dict[int, str] = {}
    positions = []
    for (holder, cls_name, source, sink, hedge), tenths in sorted(net.items()):
        if tenths <= 0:
            continue
        if holder not in names:
            participant = session.get(Participant, holder)
            names[holder] = participant.name if participant is not None else str(holder)
        positions.append(
            FtrPosition(
                id=f"{names[holder]}/{cls_name}/{source}->{sink}/{hedge}",
                holder=names[holder],
                source=source,
                sink=sink,
                mw=tenths / 10,
                period_class=cls_name,
            )
        )
    return tuple(positions)
