"""The allocations page of an LSE or NSU holder (``/portal/allocations``): the FTRs allocated or
assigned to it (OA 5.2.2) and its applications for them, and its excess-congestion distribution month
by month with the year to date (OA 5.2.6), each table with its CSV download.

Every read is the caller's own, through the services the JSON routers call (the holdings ledger, the
applications and the settlement statements); the statement page holds the hourly target allocation
and credit of each month (chart and table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel
from sqlmodel import Session

from api_schemas.applications import ApplicationPublic
from api_schemas.holdings import HoldingOrigin, HoldingPublic
from api_schemas.settlement import HolderHourPublic
from app.applications.mapping import application_public
from app.applications.service import ApplicationService
from app.csv_export import models_csv, write_csv
from app.deps import ClockDep, SessionDep
from app.errors import NotFound
from app.holdings.mapping import holding_public
from app.holdings.service import HoldingService
from app.participants.service import Caller
from app.settlement import mapping as settlement_mapping
from app.settlement.service import SettlementService
from app.web.visitor import PageRoute, SignedIn, VisitorDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ALLOCATED = frozenset({HoldingOrigin.NSU_ALLOCATION, HoldingOrigin.PTP_ASSIGNMENT})
HOLDINGS_READ_LIMIT = 10_000
"""ledger entries read for the page (an LSE holds a few hundred allocated rights a year)"""
Year = Annotated[int | None, Query(ge=2000, le=2200)]


class DistributionMonth(BaseModel):
    """One settled month of the holder's statement: the excess distributed to it, and the year to date."""

    year: int
    month: int
    run_id: int
    version: int
    target_allocation: Decimal
    credit: Decimal
    monthly_distribution: Decimal
    annual_distribution: Decimal
    distribution_to_date: Decimal
    """the monthly and annual distributions of the year up to and including this month, $"""
    payout_ratio: Decimal | None


@dataclass(frozen=True, slots=True)
class Allocations:
    holdings: list[HoldingPublic]
    applications: list[ApplicationPublic]


def _allocations(db: Session, caller: Caller) -> Allocations:
    """The caller's own allocated and assigned FTR entries and its applications for them."""
    rows, _ = HoldingService(db).list_readable(
        caller, year=None, month=None, limit=HOLDINGS_READ_LIMIT, offset=0
    )
    holdings = [
        holding_public(h)
        for h in rows
        if h.holder_id == caller.participant_id and h.origin in {o.value for o in ALLOCATED}
    ]
    applications = [
        application_public(a)
        for a in ApplicationService(db).list_readable(caller)
        if a.applicant_id == caller.participant_id
    ]
    return Allocations(holdings, applications)


def _distribution(db: Session, caller: Caller, year: int) -> list[DistributionMonth]:
    """The caller's statement month totals (the run in force) of each settled month of ``year``."""
    service = SettlementService(db)
    months: list[DistributionMonth] = []
    to_date = Decimal("0.00")
    for month in range(1, 13):
        try:
            run, totals = service.statement_run(caller, year, month, caller.participant_id, None)
        except NotFound:
            continue
        assert run.id is not None
        shown = settlement_mapping.holder_month_public(totals)
        to_date += shown.monthly_distribution + shown.annual_distribution
        months.append(
            DistributionMonth(
                year=year,
                month=month,
                run_id=run.id,
                version=run.version,
                target_allocation=shown.target_allocation,
                credit=shown.credit,
                monthly_distribution=shown.monthly_distribution,
                annual_distribution=shown.annual_distribution,
                distribution_to_date=to_date,
                payout_ratio=shown.payout_ratio,
            )
        )
    return months


def _year(year: int | None, now_year: int) -> int:
    return year if year is not None else now_year


def _text_csv(text: str, name: str) -> PlainTextResponse:
    return PlainTextResponse(
        text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _csv(items: Sequence[BaseModel], columns: list[str], name: str) -> PlainTextResponse:
    return _text_csv(models_csv(items, columns), name)


@router.get("/portal/allocations", response_class=HTMLResponse)
def allocations_page(
    request: Request,
    visitor: VisitorDep,
    caller: SignedIn,
    db: SessionDep,
    clock: ClockDep,
    year: Year = None,
) -> HTMLResponse:
    shown_year = _year(year, clock.now().astimezone(UTC).year)
    found = _allocations(db, caller)
    months = _distribution(db, caller, shown_year)
    if year is None and not months:  # early in a year: last year's months
        shown_year -= 1
        months = _distribution(db, caller, shown_year)
    context = {
        "holdings": found.holdings,
        "applications": found.applications,
        "year": shown_year,
        "months": months,
    }
    return render(request, visitor, "allocations.html", context)


@router.get("/portal/allocations/holdings.csv")
def allocations_holdings_csv(caller: SignedIn, db: SessionDep) -> PlainTextResponse:
    """The caller's allocated and assigned FTR ledger entries."""
    rows = _allocations(db, caller).holdings
    return _csv(rows, list(HoldingPublic.model_fields), "allocated-ftrs.csv")


@router.get("/portal/allocations/applications.csv")
def allocations_applications_csv(caller: SignedIn, db: SessionDep) -> PlainTextResponse:
    """The caller's applications, one row each (the FTRs applied for as ``source>sink:MW`` items)."""
    header = ["id", "kind", "period", "last_month", "state", "reason", "ftrs"]
    rows = (
        [
            a.id,
            a.kind.value,
            a.period,
            a.last_month,
            a.state,
            a.reason,
            " ".join(f"{f.source}>{f.sink}:{f.mw}" for f in a.ftrs),
        ]
        for a in _allocations(db, caller).applications
    )
    return _text_csv(write_csv(header, rows), "ftr-applications.csv")


@router.get("/portal/allocations/distribution.csv")
def distribution_csv(
    caller: SignedIn, db: SessionDep, clock: ClockDep, year: Year = None
) -> PlainTextResponse:
    """The caller's settled months of ``year``: credits and the excess distributed, with the year to date."""
    shown_year = _year(year, clock.now().astimezone(UTC).year)
    months = _distribution(db, caller, shown_year)
    return _csv(months, list(DistributionMonth.model_fields), f"excess-distribution-{shown_year}.csv")


@router.get("/portal/statement/hours.csv")
def statement_hours_csv(
    caller: SignedIn,
    db: SessionDep,
    year: Annotated[int, Query(ge=2000, le=2200)],
    month: Annotated[int, Query(ge=1, le=12)],
) -> PlainTextResponse:
    """The caller's statement hours of a month: target allocation and credit, $, and the payout ratio."""
    _, _, hours = SettlementService(db).statement(caller, year, month, caller.participant_id, None)
    rows = [settlement_mapping.holder_hour_public(h) for h in hours]
    return _csv(rows, list(HolderHourPublic.model_fields), f"statement-{year}-{month:02d}-hours.csv")
