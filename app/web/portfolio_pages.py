"""The portfolio page of a trader or LSE (``/portal/portfolio``): the FTRs it holds in a month, by
class, with the MW it may offer (the least held in any hour), the credit its awards hold, and, where
the month's auction is open, a link that fills the auction's bid form with a sell offer of the
holding (the form posts to the same bid service as the API; its errors are shown in place).

The lines and the CSV are the holdings service's portfolio (``/api/v1/holdings/portfolio``), always
the caller's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlmodel import Session

from api_schemas.auctions import AuctionPublic
from api_schemas.holdings import PortfolioLinePublic, PortfolioPublic
from app.auctions.mapping import auction_public
from app.auctions.service import AuctionService
from app.bids.credit_service import CreditService
from app.bids.mapping import credit_by_month_public
from app.deps import ClockDep, SessionDep, SettingsDep
from app.holdings.mapping import portfolio_csv, portfolio_public
from app.holdings.service import HoldingService
from app.participants.service import Caller
from app.web.visitor import PageBidder, PageRoute, VisitorDep, render
from auction.ledger_time import DeliveryMonth
from market_calendar.eastern_time import EPT

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PREFILL_PREFIX = "fill_"
"""query parameters that fill the auction page's bid form (apart from its tables' own parameters)"""
PREFILL_FIELDS = ("side", "period_class", "source", "sink", "hedge", "mw", "price")


def bid_form_prefill(query: Mapping[str, str]) -> dict[str, str]:
    """The bid form's values given in the query string (``fill_<field>``, at most 100 characters)."""
    return {
        name: query[f"{PREFILL_PREFIX}{name}"][:100]
        for name in PREFILL_FIELDS
        if f"{PREFILL_PREFIX}{name}" in query
    }


YearQuery = Annotated[int | None, Query(ge=2000, le=2200)]
MonthQuery = Annotated[int | None, Query(ge=1, le=12)]


def _auctions(db: Session, caller: Caller, now: datetime) -> list[AuctionPublic]:
    views, _ = AuctionService(db).list_readable(caller, limit=1000, offset=0, now=now)
    return [auction_public(v) for v in views]


def _month(
    year: int | None, month: int | None, auctions: list[AuctionPublic], now: datetime
) -> DeliveryMonth:
    """The month asked for; else the month of the open auction; else the current month (EPT)."""
    if year is not None and month is not None:
        return DeliveryMonth(year, month)
    open_ = [a for a in auctions if a.status.value == "open"]
    if open_:
        return DeliveryMonth(open_[0].year, open_[0].month)
    local = now.astimezone(EPT)
    return DeliveryMonth(local.year, local.month)


def _portfolio(db: Session, caller: Caller, month: DeliveryMonth) -> PortfolioPublic:
    lines = HoldingService(db).portfolio(caller, month, period_class=None, holder_id=caller.participant_id)
    return portfolio_public(month.year, month.month, lines)


def offer_link(auction: AuctionPublic, line: PortfolioLinePublic) -> str:
    """The open auction's page with its bid form filled with a sell offer of the whole holding."""
    fields = {
        "side": "sell",
        "period_class": line.period_class.value,
        "source": line.source,
        "sink": line.sink,
        "hedge": line.hedge.value,
        "mw": str(line.minimum_mw),
    }
    query = urlencode({f"{PREFILL_PREFIX}{k}": v for k, v in fields.items()})
    return f"/portal/auctions/{auction.id}?{query}#bid-entry"


@router.get("/portal/portfolio", response_class=HTMLResponse)
def portfolio_page(
    request: Request,
    visitor: VisitorDep,
    caller: PageBidder,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    year: YearQuery = None,
    month: MonthQuery = None,
) -> HTMLResponse:
    now = clock.now().astimezone(UTC)
    auctions = _auctions(db, caller, now)
    shown = _month(year, month, auctions, now)
    resale = next(
        (a for a in auctions if a.status.value == "open" and (a.year, a.month) == (shown.year, shown.month)),
        None,
    )
    portfolio = _portfolio(db, caller, shown)
    context: dict[str, Any] = {
        "portfolio": portfolio,
        "year": shown.year,
        "month": shown.month,
        "resale": resale,
        "offers": {
            i: offer_link(resale, line)
            for i, line in enumerate(portfolio.items)
            if resale is not None and line.minimum_mw > 0
        },
        "credit_by_month": credit_by_month_public(
            *CreditService(db, settings).by_month_and_class(caller.participant_id)
        ),
        "now": now,
    }
    return render(request, visitor, "portfolio.html", context)


@router.get("/portal/portfolio.csv")
def portfolio_download(
    caller: PageBidder,
    db: SessionDep,
    year: Annotated[int, Query(ge=2000, le=2200)],
    month: Annotated[int, Query(ge=1, le=12)],
) -> PlainTextResponse:
    """The caller's portfolio of a month as the API's CSV, one row per holding."""
    text = portfolio_csv(_portfolio(db, caller, DeliveryMonth(year, month)))
    disposition = {"Content-Disposition": f'attachment; filename="portfolio-{year}-{month:02d}.csv"'}
    return PlainTextResponse(text, media_type="text/csv", headers=disposition)
