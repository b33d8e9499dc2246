"""Auction views to wire schemas."""

from __future__ import annotations

import json
from decimal import Decimal

from api_schemas.auctions import (
    AuctionActionName,
    AuctionPublic,
    AuctionStatusName,
    ClassAuctionPublic,
    ContabFilePublic,
    ContingencyIn,
    ContingencySetName,
    PeriodClassName,
    PostingStateName,
)
from app.auctions.service import AuctionView


def auction_public(view: AuctionView) -> AuctionPublic:
    a = view.auction
    assert a.id is not None
    classes = []
    for c in view.classes:
        assert c.id is not None
        classes.append(
            ClassAuctionPublic(id=c.id, period_class=PeriodClassName(c.period_class), hours=c.hours)
        )
    return AuctionPublic(
        id=a.id,
        year=a.year,
        month=a.month,
        network_version_id=a.network_version_id,
        scheduled_outages=json.loads(a.scheduled_outages),
        loop_flow_mw={k: Decimal(v) for k, v in json.loads(a.loop_flow).items()},
        contingency_set=ContingencySetName(a.contingency_set),
        contingencies=[ContingencyIn(id=cid, branches=b) for cid, b in json.loads(a.contingencies)],
        contab_file=(
            ContabFilePublic(
                name=a.contab_name, sha256=a.contab_sha256, generator_outages=a.contab_generator_outages
            )
            if a.contab_name is not None and a.contab_sha256 is not None
            else None
        ),
        status=AuctionStatusName(view.status.value),
        opens_at=a.opens_at,
        closes_at=a.closes_at,
        classes=classes,
        created_at=a.created_at,
        opened_at=a.opened_at,
        closed_at=a.closed_at,
        cleared_at=a.cleared_at,
        posted_at=a.posted_at,
        market_time=view.market_time,
        allowed_now=[AuctionActionName(x.value) for x in view.allowed],
        next_change_at=view.next_change_at,
        posting_deadline=view.posting_deadline,
        posting_state=PostingStateName(view.posting_state.value),
    )
