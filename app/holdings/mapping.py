"""Ledger rows to wire schemas."""

from __future__ import annotations

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName
from api_schemas.holdings import HoldingOrigin, HoldingPublic
from app.holdings.tables import FtrHolding
from app.units import from_cents, from_tenths


def holding_public(h: FtrHolding) -> HoldingPublic:
    assert h.id is not None
    return HoldingPublic(
        id=h.id,
        holder_id=h.holder_id,
        year=h.year,
        month=h.month,
        period_class=PeriodClassName(h.period_class),
        source=h.source,
        sink=h.sink,
        hedge=HedgeName(h.hedge),
        mw=from_tenths(h.mw_tenths),
        price=from_cents(h.price_cents) if h.price_cents is not None else None,
        origin=HoldingOrigin(h.origin),
        auction_id=h.auction_id,
        created_at=h.created_at,
    )
