"""``/api/v1/holdings``: the holdings ledger, who held what at an hour, histories and portfolios."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import PlainTextResponse

from api_schemas.auctions import PeriodClassIn, PeriodClassName
from api_schemas.bids import HedgeIn, HedgeName, PointId
from api_schemas.common import IsoDateTime, Page
from api_schemas.holdings import (
    AllocationCreate,
    HistoryPublic,
    HoldingPublic,
    PortfolioPublic,
    PositionsPublic,
)
from app.deps import ClockDep, CurrentParticipant, CursorPageDep, Operator, SessionDep
from app.holdings.mapping import (
    history_public,
    holding_public,
    portfolio_csv,
    portfolio_public,
    positions_public,
)
from app.holdings.service import HoldingService, key_from_query
from app.units import to_tenths
from auction.ledger import Origin
from auction.ledger_time import DeliveryMonth

router = APIRouter(prefix="/api/v1/holdings", tags=["holdings"])

Year = Annotated[int, Query(ge=2000, le=2200)]
Month = Annotated[int, Query(ge=1, le=12)]
HolderId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="OI and auditors: one holder")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HoldingPublic)
def record_allocation(
    body: AllocationCreate, caller: Operator, session: SessionDep, clock: ClockDep
) -> HoldingPublic:
    """Record an FTR allocated or assigned to a participant for a month (OA 5.2.2). OI only.

    Refused (422 ``not-simultaneously-feasible``, naming the constraint) if it is not
    simultaneously feasible with all outstanding FTRs of the month (OA 7.3.3(b)).
    """
    key = key_from_query(
        body.year, body.month, body.period_class.value, body.source, body.sink, body.hedge.value
    )
    entry = HoldingService(session).record(
        caller,
        holder_id=body.holder_id,
        key=key,
        mw_tenths=to_tenths(body.mw),
        origin=Origin(body.origin.value),
        now=clock.now(),
    )
    return holding_public(entry)


@router.get("", response_model=Page[HoldingPublic])
def list_holdings(
    caller: CurrentParticipant,
    session: SessionDep,
    page: CursorPageDep,
    year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Page[HoldingPublic]:
    """The caller's ledger entries in sequence (the OI and auditors see all)."""
    found = HoldingService(session).page_readable(caller, year=year, month=month, page=page)
    return Page(
        items=[holding_public(h) for (h,) in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )


@router.get("/positions", response_model=PositionsPublic)
def positions_at(
    caller: CurrentParticipant,
    session: SessionDep,
    at: Annotated[IsoDateTime, Query(description="hour-ending instant, timezone-aware, on a whole hour")],
    holder_id: HolderId = None,
) -> PositionsPublic:
    """Who held what in the hour ending ``at`` (the caller's own; the OI and auditors: everyone)."""
    holdings = HoldingService(session).positions_at(caller, at, holder_id=holder_id)
    return positions_public(at, holdings)


@router.get("/history", response_model=HistoryPublic)
def holding_history(
    caller: CurrentParticipant,
    session: SessionDep,
    holder_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    year: Year,
    month: Month,
    period_class: PeriodClassIn,
    source: Annotated[PointId, Query()],
    sink: Annotated[PointId, Query()],
    hedge: HedgeIn = HedgeName.OBLIGATION,
) -> HistoryPublic:
    """Each change of one holding with the position it leaves (replays to the position at any hour)."""
    key = key_from_query(year, month, period_class.value, source, sink, hedge.value)
    steps = HoldingService(session).history(caller, holder_id, key)
    return history_public(holder_id, key, steps)


def _portfolio(
    caller: CurrentParticipant,
    session: SessionDep,
    year: int,
    month: int,
    period_class: PeriodClassName | None,
    holder_id: int | None,
) -> PortfolioPublic:
    lines = HoldingService(session).portfolio(
        caller,
        DeliveryMonth(year, month),
        period_class=period_class.value if period_class is not None else None,
        holder_id=holder_id,
    )
    return portfolio_public(year, month, lines)


@router.get("/portfolio", response_model=PortfolioPublic)
def read_portfolio(
    caller: CurrentParticipant,
    session: SessionDep,
    year: Year,
    month: Month,
    period_class: PeriodClassIn | None = None,
    holder_id: HolderId = None,
) -> PortfolioPublic:
    """The caller's FTRs for a month (and class) with origin and history; the OI sees all."""
    return _portfolio(caller, session, year, month, period_class, holder_id)


@router.get(
    "/portfolio.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {"example": "holder_id,year,month,...\n"}}}},
)
def export_portfolio(
    caller: CurrentParticipant,
    session: SessionDep,
    year: Year,
    month: Month,
    period_class: PeriodClassIn | None = None,
    holder_id: HolderId = None,
) -> PlainTextResponse:
    """The portfolio as CSV, one row per holding."""
    p = _portfolio(caller, session, year, month, period_class, holder_id)
    return PlainTextResponse(portfolio_csv(p), media_type="text/csv")
