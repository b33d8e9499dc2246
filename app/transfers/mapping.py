"""Stored transfers to wire schemas."""

from __future__ import annotations

import json

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import HedgeName
from api_schemas.transfers import TransferEventPublic, TransferPublic, TransferRight
from app.transfers.service import keys_of
from app.transfers.tables import FtrTransfer
from app.units import from_tenths


def transfer_public(row: FtrTransfer) -> TransferPublic:
    assert row.id is not None
    return TransferPublic(
        id=row.id,
        seller_id=row.seller_id,
        buyer_id=row.buyer_id,
        rights=[
            TransferRight(
                year=k.month.year,
                month=k.month.month,
                period_class=PeriodClassName(k.period_class.value),
                source=k.source,
                sink=k.sink,
                hedge=HedgeName(k.hedge.value),
            )
            for k in keys_of(row)
        ],
        mw=from_tenths(row.mw_tenths),
        effective_from=row.effective_from,
        state=row.state,
        events=[TransferEventPublic(**e) for e in json.loads(row.events)],
    )
