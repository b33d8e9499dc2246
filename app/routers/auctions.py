"""``/api/v1/auctions``: monthly auctions and their lifecycle (OI), readable by every participant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api_schemas.auctions import AuctionCreate, AuctionPublic, AuctionStatusName
from api_schemas.common import Page
from app.auctions.lifecycle import AuctionStatus
from app.auctions.mapping import auction_public
from app.auctions.service import AuctionService
from app.audit.service import actor_of
from app.bid_book import close_window
from app.deps import ClockDep, CurrentParticipant, CursorPageDep, ObjectId, Operator, SessionDep

router = APIRouter(prefix="/api/v1/auctions", tags=["auctions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AuctionPublic)
def create_auction(
    body: AuctionCreate, caller: Operator, session: SessionDep, clock: ClockDep
) -> AuctionPublic:
    """Create the monthly auction (draft) with its on-peak and off-peak class auctions. OI only."""
    view = AuctionService(session).create(
        year=body.year,
        month=body.month,
        network_version_id=body.network_version_id,
        scheduled_outages=body.scheduled_outages,
        loop_flow_mw=body.loop_flow_mw,
        now=clock.now(),
        contingency_set=body.contingency_set.value,
        contingencies=[(c.id, c.branches) for c in body.contingencies],
    )
    return auction_public(view)


@router.get("", response_model=Page[AuctionPublic])
def list_auctions(
    caller: CurrentParticipant,
    session: SessionDep,
    clock: ClockDep,
    page: CursorPageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="only auctions of this year")] = None,
    in_status: Annotated[
        AuctionStatusName | None,
        Query(
            alias="status",
            description="only auctions in this status at the server clock (as each auction shows it)",
        ),
    ] = None,
) -> Page[AuctionPublic]:
    """Auctions by month (drafts only for the OI and auditors), optionally of one year and status;
    paged by cursor or offset."""
    views, total, next_cursor = AuctionService(session).page_readable(
        caller,
        page,
        now=clock.now(),
        year=year,
        status=AuctionStatus(in_status.value) if in_status is not None else None,
    )
    return Page(
        items=[auction_public(v) for v in views],
        total=total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=next_cursor,
    )


@router.get("/{auction_id}", response_model=AuctionPublic)
def read_auction(
    auction_id: ObjectId, caller: CurrentParticipant, session: SessionDep, clock: ClockDep
) -> AuctionPublic:
    """One auction, with its effective status at the server clock."""
    return auction_public(AuctionService(session).get_readable(caller, auction_id, clock.now()))


@router.post("/{auction_id}/open", response_model=AuctionPublic)
def open_auction(
    auction_id: ObjectId, caller: Operator, session: SessionDep, clock: ClockDep
) -> AuctionPublic:
    """draft -> open (bids are accepted from ``opens_at`` to ``closes_at``). OI only."""
    return auction_public(
        AuctionService(session).open(auction_id, clock.now(), actor=actor_of(caller.participant_id))
    )


@router.post("/{auction_id}/close", response_model=AuctionPublic)
def close_auction(
    auction_id: ObjectId, caller: Operator, session: SessionDep, clock: ClockDep
) -> AuctionPublic:
    """open -> closed, not before ``closes_at``. OI only."""
    return auction_public(
        close_window(session, auction_id, clock.now(), actor=actor_of(caller.participant_id))
    )
