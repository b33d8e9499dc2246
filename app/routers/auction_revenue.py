"""Auction settlement statements (OA 7.3.8), revenue requirements and revenue allocation (OA 7.3.9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api_schemas.auction_revenue import (
    AuctionStatementPublic,
    RevenueAllocationPublic,
    RevenueRequirementPublic,
    RevenueRequirementSet,
)
from app.auction_revenue.mapping import allocation_csv, allocation_public, statement_public, statements_csv
from app.auction_revenue.service import AuctionRevenueService
from app.audit.service import actor_of
from app.deps import ClockDep, CurrentParticipant, ObjectId, Operator, SessionDep
from app.units import from_cents, to_cents

router = APIRouter(prefix="/api/v1", tags=["auction settlement"])
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"example": "participant_id,...\n"}}}}


def _statements(
    caller: CurrentParticipant, session: SessionDep, auction_id: int
) -> list[AuctionStatementPublic]:
    statements, ids = AuctionRevenueService(session).statements_and_bid_ids(caller, auction_id)
    return [statement_public(s, ids) for s in statements]


@router.get("/auctions/{auction_id}/statements", response_model=list[AuctionStatementPublic])
def read_statements(
    auction_id: ObjectId, caller: CurrentParticipant, session: SessionDep
) -> list[AuctionStatementPublic]:
    """Per participant: buyers pay, sellers are paid, price x MW (OA 7.3.8). Own only; OI and auditors all."""
    return _statements(caller, session, auction_id)


@router.get("/auctions/{auction_id}/statements.csv", response_class=PlainTextResponse, responses=CSV)
def export_statements(
    auction_id: ObjectId, caller: CurrentParticipant, session: SessionDep
) -> PlainTextResponse:
    """The statements as CSV, one row per trade."""
    return PlainTextResponse(statements_csv(_statements(caller, session, auction_id)), media_type="text/csv")


@router.put("/revenue-requirements/{owner_id}", response_model=RevenueRequirementPublic)
def set_revenue_requirement(
    owner_id: ObjectId, body: RevenueRequirementSet, caller: Operator, session: SessionDep, clock: ClockDep
) -> RevenueRequirementPublic:
    """Enter a transmission owner's revenue requirement (OA 7.3.9). OI only."""
    row = AuctionRevenueService(session).set_requirement(
        owner_id, to_cents(body.amount), actor=actor_of(caller.participant_id), now=clock.now()
    )
    return RevenueRequirementPublic(owner_id=row.owner_id, amount=from_cents(row.amount_cents))


@router.get("/revenue-requirements", response_model=list[RevenueRequirementPublic])
def list_revenue_requirements(caller: Operator, session: SessionDep) -> list[RevenueRequirementPublic]:
    """Every transmission owner's revenue requirement. OI only."""
    return [
        RevenueRequirementPublic(owner_id=r.owner_id, amount=from_cents(r.amount_cents))
        for r in AuctionRevenueService(session).requirements()
    ]


def _allocation(caller: CurrentParticipant, session: SessionDep, auction_id: int) -> RevenueAllocationPublic:
    net, shares, reqs = AuctionRevenueService(session).allocation(caller, auction_id)
    return allocation_public(auction_id, net, shares, reqs)


@router.get("/auctions/{auction_id}/revenue-allocation", response_model=RevenueAllocationPublic)
def read_revenue_allocation(
    auction_id: ObjectId, caller: CurrentParticipant, session: SessionDep
) -> RevenueAllocationPublic:
    """Net auction revenue shared by revenue requirement, to the cent (OA 7.3.9)."""
    return _allocation(caller, session, auction_id)


@router.get("/auctions/{auction_id}/revenue-allocation.csv", response_class=PlainTextResponse, responses=CSV)
def export_revenue_allocation(
    auction_id: ObjectId, caller: CurrentParticipant, session: SessionDep
) -> PlainTextResponse:
    """The revenue allocation as CSV."""
    return PlainTextResponse(allocation_csv(_allocation(caller, session, auction_id)), media_type="text/csv")
