"""``/api/v1/holdings``: FTRs held (the OI records allocations; holders read their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api_schemas.common import Page
from api_schemas.holdings import AllocationCreate, HoldingPublic
from app.deps import ClockDep, CurrentParticipant, Operator, PageDep, SessionDep
from app.holdings.mapping import holding_public
from app.holdings.service import HoldingService
from app.units import to_tenths

router = APIRouter(prefix="/api/v1/holdings", tags=["holdings"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HoldingPublic)
def record_allocation(
    body: AllocationCreate, caller: Operator, session: SessionDep, clock: ClockDep
) -> HoldingPublic:
    """Record an FTR allocated or assigned to a participant (OA 5.2.2). OI only."""
    entry = HoldingService(session).allocate(
        holder_id=body.holder_id,
        year=body.year,
        month=body.month,
        period_class=body.period_class.value,
        source=body.source,
        sink=body.sink,
        hedge=body.hedge.value,
        mw_tenths=to_tenths(body.mw),
        now=clock.now(),
    )
    return holding_public(entry)


@router.get("", response_model=Page[HoldingPublic])
def list_holdings(
    caller: CurrentParticipant,
    session: SessionDep,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Page[HoldingPublic]:
    """The caller's ledger entries (the OI and auditors see all)."""
    rows, total = HoldingService(session).list_readable(
        caller, year=year, month=month, limit=page.limit, offset=page.offset
    )
    return Page(items=[holding_public(h) for h in rows], total=total, limit=page.limit, offset=page.offset)
