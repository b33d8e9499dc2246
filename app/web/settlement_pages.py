"""The settlement runs of a month (OI and auditors): every version, its hashes and totals, what changed
against the version it replaced, and the CSV downloads (hours, holders, per-FTR differences).

Each handler calls :class:`~app.settlement.service.SettlementService` as the JSON router does, with
the same guard (the OI and auditors), and renders ``settlement_runs.html``.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse

from api_schemas.settlement import HolderMonthPublic, HourTotalPublic
from app.deps import ClockDep, ObjectId, SessionDep
from app.settlement import mapping
from app.settlement.service import SettlementService
from app.web.visitor import PageRoute, PageSettlementReader, VisitorDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/portal/settlement/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    visitor: VisitorDep,
    caller: PageSettlementReader,
    db: SessionDep,
    clock: ClockDep,
    year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> HTMLResponse:
    now = clock.now().astimezone(UTC)
    default = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    year, month = (year, month) if year and month else default
    service = SettlementService(db)
    runs = [mapping.run_public(r) for r in service.runs_of(year, month)]
    changes = {r.id: [mapping.change_public(c) for c in service.run_changes(r.id)] for r in runs}
    context = {"year": year, "month": month, "runs": list(reversed(runs)), "changes": changes}
    return render(request, visitor, "settlement_runs.html", context)


@router.get("/portal/settlement/runs/{run_id}/{name}")
def run_download(run_id: ObjectId, name: str, caller: PageSettlementReader, db: SessionDep) -> Response:
    """A run's CSV: ``hours.csv``, ``holders.csv`` or ``ftr-differences.csv`` (the API's, streamed)."""
    service = SettlementService(db)
    disposition = {"Content-Disposition": f'attachment; filename="settlement-run-{run_id}-{name}"'}
    if name == "hours.csv":
        hours = [mapping.hour_public(h) for h in service.run_hours(run_id)]
        text = mapping.to_csv(hours, list(HourTotalPublic.model_fields))
        return PlainTextResponse(text, media_type="text/csv", headers=disposition)
    if name == "holders.csv":
        holders = [mapping.holder_month_public(m) for m in service.run_holder_months(run_id)]
        text = mapping.to_csv(holders, list(HolderMonthPublic.model_fields))
        return PlainTextResponse(text, media_type="text/csv", headers=disposition)
    if name == "ftr-differences.csv":
        return StreamingResponse(
            service.run_ftr_differences_csv(run_id), media_type="text/csv", headers=disposition
        )
    return PlainTextResponse("not found: hours.csv, holders.csv or ftr-differences.csv", status_code=404)
