"""The portal's pages (``/portal/...``): each calls the services and mappers the JSON routers call.

No query and no market rule lives here: a page reads through a service with the visitor's caller
(the public reads as :data:`~app.web.visitor.PUBLIC_READER`), maps with the domain's ``mapping.py``
and renders a template. Role guards are those of :mod:`app.deps`. Every form carries the CSRF token
of the session cookie; a form whose token does not match is refused (403) before any service runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlmodel import Session

from api_schemas.auctions import PeriodClassName
from api_schemas.bids import BidCreate, BidUpdate
from app.auctions.mapping import auction_public
from app.auctions.service import AuctionService
from app.audit import mapping as audit_mapping
from app.audit.service import actor_of
from app.audit.verification import ChainCheck
from app.bid_book import close_window
from app.bids.credit_service import CreditService
from app.bids.mapping import credit_public, order_spec, request_hash
from app.bids.service import BidService, fills_visible
from app.bids.upload import CSV_COLUMNS, spool_upload
from app.clearing.flows import start_clearing
from app.clearing.path_price import PathPriceService
from app.clearing.posting import post_auction
from app.clearing.results import ResultsService, job_public, results_csv
from app.deps import ClockDep, ObjectId, SessionDep, SettingsDep
from app.errors import NotFound, ServiceError, Unauthenticated
from app.holdings.mapping import holding_public
from app.holdings.service import HoldingService
from app.jobs.listing import JobFilter
from app.networks.outages import network_from_document
from app.networks.service import NetworkService
from app.paging import Pagination
from app.participants.service import ParticipantService
from app.security import key_prefix
from app.settings import Settings
from app.settlement import mapping as settlement_mapping
from app.settlement.service import SettlementService
from app.units import to_cents, to_tenths
from app.web import audit_pages, lse_pages, oi_pages, portfolio_pages, settlement_pages
from app.web.grid_layout import layout_of
from app.web.grid_picture import grid_picture
from app.web.paged import csv_lines, page_of, page_of_list, read_state, stream_csv
from app.web.session_cookie import clear_session, new_session, write_session
from app.web.table_queries import (
    AUDIT_CSV_HEADER,
    AWARD_CSV_HEADER,
    AWARD_SPEC,
    BID_CSV_HEADER,
    NODAL_SPEC,
    audit_csv_row,
    audit_table,
    award_csv_row,
    award_row,
    awards_query,
    bid_csv_row,
    bid_row,
    bid_spec,
    bids_count_query,
    bids_csv_query,
    bids_query,
    nodal_csv_row,
)
from app.web.visitor import (
    PageAuditReader,
    PageBidder,
    PageOperator,
    PageRoute,
    SignedIn,
    Visitor,
    VisitorDep,
    check_csrf,
    field_errors,
    render,
)

STATIC_DIR = Path(__file__).parent / "static"
router = APIRouter(route_class=PageRoute, include_in_schema=False)
T = TypeVar("T")

CsrfField = Annotated[str, Form(alias="csrf")]


class ResultTable(StrEnum):
    AWARDS = "awards"
    NODAL_PRICES = "nodal_prices"
    BINDING_CONSTRAINTS = "binding_constraints"


class Lifecycle(StrEnum):
    OPEN = "open"
    CLOSE = "close"
    CLEAR = "clear"
    POST = "post"


def install_portal(app: FastAPI) -> None:
    """Add the portal's pages and its static assets (served by the app: no other origin)."""
    app.include_router(oi_pages.router)  # first: /portal/results/{id}/network before .../{period_class}
    app.include_router(router)
    app.include_router(settlement_pages.router)
    app.include_router(lse_pages.router)
    app.include_router(portfolio_pages.router)
    app.include_router(audit_pages.router)
    app.mount("/portal/static", StaticFiles(directory=STATIC_DIR), name="portal-static")


def _visible(read: Callable[[], T]) -> T | None:
    """What a service lets the caller read, or ``None`` where it finds nothing for the caller."""
    try:
        return read()
    except NotFound:
        return None


def _bids(db: Session, settings: Settings) -> BidService:
    return BidService(db, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh)


# -- sign-in -----------------------------------------------------------------------------------


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/portal", status_code=303)


@router.get("/portal/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, visitor: VisitorDep, next: str = "/portal") -> HTMLResponse:
    return render(request, visitor, "sign_in.html", {"next": next, "error": None})


def _safe_next(target: str) -> str:
    return target if target.startswith("/portal") and not target.startswith("//") else "/portal"


@router.post("/portal/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    visitor: VisitorDep,
    db: SessionDep,
    settings: SettingsDep,
    csrf: CsrfField = "",
    api_key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/portal",
) -> Response:
    check_csrf(visitor, csrf)
    key = api_key.strip()
    try:
        ParticipantService(db, settings.secret_key).authenticate(key)
    except Unauthenticated:
        context = {"next": next, "error": "That API key is not valid. Check it and try again."}
        return render(request, visitor, "sign_in.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    write_session(response, new_session(key_prefix(key)), settings)
    return response


@router.post("/portal/sign-out")
def sign_out(visitor: VisitorDep, settings: SettingsDep, csrf: CsrfField = "") -> RedirectResponse:
    check_csrf(visitor, csrf)
    response = RedirectResponse("/portal", status_code=303)
    clear_session(response, settings)
    return response


# -- overview ----------------------------------------------------------------------------------


@router.get("/portal", response_class=HTMLResponse)
def home(
    request: Request, visitor: VisitorDep, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> HTMLResponse:
    now = clock.now()
    views, _ = AuctionService(db).list_readable(visitor.reader, limit=1000, offset=0, now=now)
    context: dict[str, Any] = {"auctions": [auction_public(v) for v in reversed(views)], "now": now}
    if visitor.caller is not None:
        caller = visitor.caller
        context["credit"] = credit_public(CreditService(db, settings).position(caller.participant_id))
        rows, total = HoldingService(db).list_readable(caller, year=None, month=None, limit=200, offset=0)
        context["holdings"] = [holding_public(h) for h in rows]
        context["holdings_total"] = total
    return render(request, visitor, "home.html", context)


# -- one auction: bids, uploads, lifecycle, review -----------------------------------------------


def _auction_page(
    request: Request,
    visitor: Visitor,
    db: Session,
    settings: Settings,
    now: datetime,
    auction_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    auction = auction_public(AuctionService(db).get_readable(visitor.reader, auction_id, now))
    context: dict[str, Any] = {
        "auction": auction,
        "now": now,
        "form": {},
        "errors": {},
        "form_error": None,
        "upload_errors": [],
        "upload_error": None,
        "action_error": None,
        "bid_columns": CSV_COLUMNS,
        "edit_bid": None,
        "edit_form": {},
        "edit_error": None,
        **extra,
    }
    caller = visitor.caller
    if caller is not None:
        shown = fills_visible(caller, auction.status.value)
        bid_page = page_of(
            db,
            bids_query(caller, auction_id),
            read_state(bid_spec(shown), request.query_params),
            count_from=bids_count_query(caller, auction_id),
        )
        context["bid_page"] = bid_page
        context["bids"] = [bid_row(found, shown) for found in bid_page.items]
        context["credit"] = credit_public(CreditService(db, settings).position(caller.participant_id))
        results = ResultsService(db)
        jobs = _visible(lambda: results.jobs(caller, auction_id, JobFilter(), Pagination(limit=100)).rows)
        context["jobs"] = [job_public(row[0], now) for row in jobs] if jobs is not None else None
        context["review"] = (  # the review before posting: read only while there is one to make
            {
                c.period_class.value: _visible(
                    partial(results.class_results, caller, auction_id, c.period_class.value)
                )
                for c in auction.classes
            }
            if auction.status.value == "cleared"
            else {}
        )
    return render(request, visitor, "auction.html", context, status_code=status_code)


@router.get("/portal/auctions/{auction_id}", response_class=HTMLResponse)
def auction_page(
    auction_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    uploaded: Annotated[int | None, Query(ge=0)] = None,
    created: Annotated[int | None, Query(ge=1)] = None,
    edited: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    return _auction_page(
        request,
        visitor,
        db,
        settings,
        clock.now(),
        auction_id,
        uploaded=uploaded,
        created=created,
        edited=edited,
        form=portfolio_pages.bid_form_prefill(request.query_params),
    )


@router.post("/portal/auctions/{auction_id}/bids", response_class=HTMLResponse)
async def submit_bid(
    auction_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    caller: PageBidder,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(visitor, form.pop("csrf", ""))
    fields = {k: v for k, v in form.items() if k in CSV_COLUMNS and v != ""}
    try:
        body = BidCreate.model_validate(fields)
    except ValidationError as exc:
        errors = {str(e["loc"][-1]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        return _auction_page(
            request, visitor, db, settings, clock.now(), auction_id, status_code=422, form=form, errors=errors
        )
    try:
        created = _bids(db, settings).create(
            caller,
            auction_id,
            order_spec(body),
            idempotency_key=None,
            request_hash=request_hash(auction_id, body),
            clock=clock,
        )
    except ServiceError as exc:
        db.rollback()
        return _auction_page(
            request, visitor, db, settings, clock.now(), auction_id, status_code=exc.status,
            form=form, errors=field_errors(exc.errors), form_error=exc.detail,
        )  # fmt: skip
    return RedirectResponse(f"/portal/auctions/{auction_id}?created={created.bid.id}", status_code=303)


async def _file_chunks(file: UploadFile, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """An uploaded form file as the chunks the bulk upload reader takes."""
    while chunk := await file.read(size):
        yield chunk


@router.post("/portal/auctions/{auction_id}/bids/upload", response_class=HTMLResponse)
async def upload_bids(
    auction_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    caller: PageBidder,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: UploadFile,
    csrf: CsrfField = "",
) -> Response:
    check_csrf(visitor, csrf)
    try:
        upload = await spool_upload(
            _file_chunks(file), auction_id=auction_id, media_type="text/csv", max_rows=settings.max_bulk_rows
        )
        try:
            ids, _ = _bids(db, settings).bulk_create(
                caller, auction_id, upload, clock, max_rows=settings.max_bulk_rows
            )
        finally:
            upload.close()
    except ServiceError as exc:
        db.rollback()
        errors = sorted(exc.errors, key=lambda e: (e.row or 0, e.field))
        return _auction_page(
            request, visitor, db, settings, clock.now(), auction_id, status_code=exc.status,
            upload_errors=errors, upload_error=exc.detail, upload_name=file.filename,
        )  # fmt: skip
    return RedirectResponse(f"/portal/auctions/{auction_id}?uploaded={len(ids)}", status_code=303)


@router.get("/portal/bids/template.csv", response_class=PlainTextResponse)
def bid_template() -> PlainTextResponse:
    """The upload template: the columns and one example row (the API's bulk upload reads the same)."""
    text = ",".join(CSV_COLUMNS) + "\nbuy,on_peak,SOURCE,SINK,obligation,10.0,250.00\n"
    return PlainTextResponse(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bids-template.csv"'},
    )


@router.get("/portal/auctions/{auction_id}/bids.csv")
def bids_download(
    auction_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    caller: SignedIn,
    db: SessionDep,
    clock: ClockDep,
) -> StreamingResponse:
    """The caller's readable bids of the auction, the whole filtered set in the table's order."""
    auction = AuctionService(db).get_readable(caller, auction_id, clock.now())
    shown = fills_visible(caller, auction.status.value)
    state = read_state(bid_spec(shown), request.query_params)
    lines = stream_csv(
        request.app.state.engine,
        bids_csv_query(caller, auction_id),
        state,
        BID_CSV_HEADER,
        partial(bid_csv_row, fills_shown=shown),
    )
    return _csv_response(lines, f"auction-{auction_id}-bids.csv")


def _csv_response(lines: Iterator[str], name: str) -> StreamingResponse:
    return StreamingResponse(
        lines, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/portal/bids/{bid_id}/edit", response_class=HTMLResponse)
def edit_bid(
    bid_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    caller: PageBidder,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
    mw: Annotated[str, Form(max_length=40)] = "",
    price: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Change an active bid's MW and price while the window is open (the service's update: one audited
    ``bid.modified`` with the bid before and after)."""
    check_csrf(visitor, csrf)
    bids = _bids(db, settings)
    bid, _ = bids.get(caller, bid_id)
    fields = {k: v.strip() for k, v in (("mw", mw), ("price", price)) if v.strip()}
    try:
        body = BidUpdate.model_validate(fields)
        bids.update(
            caller,
            bid_id,
            mw_tenths=to_tenths(body.mw) if body.mw is not None else None,
            price_cents=to_cents(body.price) if body.price is not None else None,
            clock=clock,
        )
    except ValidationError as exc:
        errors = {str(e["loc"][-1]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        return _auction_page(
            request, visitor, db, settings, clock.now(), bid.auction_id, status_code=422,
            edit_bid=bid_id, edit_form=fields, edit_error="; ".join(f"{k}: {v}" for k, v in errors.items()),
        )  # fmt: skip
    except ServiceError as exc:
        db.rollback()
        return _auction_page(
            request, visitor, db, settings, clock.now(), bid.auction_id, status_code=exc.status,
            edit_bid=bid_id, edit_form=fields, edit_error=exc.detail,
        )  # fmt: skip
    return RedirectResponse(
        f"/portal/auctions/{bid.auction_id}?edited={bid_id}#bid-{bid_id}", status_code=303
    )


@router.post("/portal/bids/{bid_id}/withdraw")
def withdraw_bid(
    bid_id: ObjectId,
    visitor: VisitorDep,
    caller: PageBidder,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(visitor, csrf)
    bid, _ = _bids(db, settings).withdraw(caller, bid_id, clock)
    return RedirectResponse(f"/portal/auctions/{bid.auction_id}", status_code=303)


@router.post("/portal/auctions/{auction_id}/lifecycle/{action}", response_class=HTMLResponse)
def lifecycle(
    auction_id: ObjectId,
    action: Lifecycle,
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
) -> Response:
    check_csrf(visitor, csrf)
    now, actor = clock.now(), actor_of(caller.participant_id)
    try:
        if action is Lifecycle.OPEN:
            AuctionService(db).open(auction_id, now, actor=actor)
        elif action is Lifecycle.CLOSE:
            close_window(db, auction_id, now, actor=actor)
        elif action is Lifecycle.CLEAR:
            start_clearing(
                db,
                auction_id=auction_id,
                requested_by=caller.participant_id,
                clock=clock,
                jobs=request.app.state.jobs,
            )
        else:
            post_auction(
                db,
                auction_id,
                now,
                credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh,
                posted_by=caller.participant_id,
            )
    except ServiceError as exc:
        db.rollback()
        return _auction_page(
            request, visitor, db, settings, now, auction_id, status_code=exc.status,
            action_error=f"{action.value}: {exc.detail}",
        )  # fmt: skip
    return RedirectResponse(f"/portal/auctions/{auction_id}", status_code=303)


@router.get("/portal/clearing-jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(
    job_id: ObjectId, request: Request, visitor: VisitorDep, caller: SignedIn, db: SessionDep, clock: ClockDep
) -> HTMLResponse:
    """The job's progress (polled by htmx while it runs; the page reloads once it has finished)."""
    job = job_public(ResultsService(db).job(caller, job_id), clock.now())
    response = render(request, visitor, "job.html", {"job": job})
    if request.headers.get("HX-Request") and job.status.value in ("succeeded", "failed"):
        response.headers["HX-Refresh"] = "true"
    return response


# -- posted results (public) and the path price --------------------------------------------------


@router.get("/portal/results/{auction_id}/{period_class}", response_class=HTMLResponse)
def results_page(
    auction_id: ObjectId,
    period_class: PeriodClassName,
    request: Request,
    visitor: VisitorDep,
    db: SessionDep,
) -> HTMLResponse:
    service = ResultsService(db)
    auction, cls = service.visible_class(visitor.reader, auction_id, period_class.value)
    assert cls.id is not None
    results = service.class_results(visitor.reader, auction_id, period_class.value, with_awards=False)
    version_id = auction.network_version_id
    network, layout = layout_of(
        version_id, lambda: network_from_document(NetworkService(db).get(version_id).document)
    )
    award_page = page_of(db, awards_query(cls.id), read_state(AWARD_SPEC, request.query_params))
    node_page, _ = page_of_list(results.nodal_prices, read_state(NODAL_SPEC, request.query_params))
    context = {
        "results": results,
        "award_page": award_page,
        "awards": [award_row(found) for found in award_page.items],
        "node_page": node_page,
        "grid": grid_picture(network, layout, results.nodal_prices, results.binding_constraints),
    }
    return render(request, visitor, "results.html", context)


@router.get("/portal/results/{auction_id}/{period_class}/{table}.csv")
def results_download(
    auction_id: ObjectId,
    period_class: PeriodClassName,
    table: ResultTable,
    request: Request,
    visitor: VisitorDep,
    db: SessionDep,
) -> Response:
    """One posted table as CSV: the whole set the table's filters (in the query) keep, in its order."""
    service = ResultsService(db)
    _, cls = service.visible_class(visitor.reader, auction_id, period_class.value)
    assert cls.id is not None
    name = f"auction-{auction_id}-{period_class.value}-{table.value}.csv"
    if table is ResultTable.AWARDS:
        state = read_state(AWARD_SPEC, request.query_params)
        lines = stream_csv(
            request.app.state.engine, awards_query(cls.id), state, AWARD_CSV_HEADER, award_csv_row
        )
        return _csv_response(lines, name)
    results = service.class_results(visitor.reader, auction_id, period_class.value, with_awards=False)
    if table is ResultTable.NODAL_PRICES:
        _, kept = page_of_list(results.nodal_prices, read_state(NODAL_SPEC, request.query_params))
        return _csv_response(csv_lines(("point_id", "price"), map(nodal_csv_row, kept)), name)
    return PlainTextResponse(
        results_csv(results, table.value),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/portal/path-price", response_class=HTMLResponse)
def path_price_page(
    request: Request,
    visitor: VisitorDep,
    caller: SignedIn,
    db: SessionDep,
    auction_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    period_class: PeriodClassName = PeriodClassName.ON_PEAK,
    source: Annotated[str, Query(max_length=100)] = "",
    sink: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    results = ResultsService(db).class_results(caller, auction_id, period_class.value)
    context: dict[str, Any] = {
        "results": results,
        "source": source,
        "sink": sink,
        "period_class": period_class.value,
        "lookup": None,
        "named": {(b.constraint_id, b.contingency_id): b for b in results.binding_constraints},
        "errors": {},
        "error": None,
    }
    status_code = 200
    if source and sink:
        try:
            context["lookup"] = PathPriceService(db).lookup(
                caller, auction_id, period_class.value, source, sink
            )
        except ServiceError as exc:
            context["errors"], context["error"], status_code = (
                field_errors(exc.errors),
                exc.detail,
                exc.status,
            )
    return render(request, visitor, "path_price.html", context, status_code=status_code)


# -- statements and the audit trail ---------------------------------------------------------------


@router.get("/portal/statement", response_class=HTMLResponse)
def statement_page(
    request: Request,
    visitor: VisitorDep,
    caller: SignedIn,
    db: SessionDep,
    clock: ClockDep,
    year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> HTMLResponse:
    now = clock.now().astimezone(UTC)
    default = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    year, month = (year, month) if year and month else default
    context: dict[str, Any] = {"year": year, "month": month, "statement": None, "error": None}
    try:
        run, totals, hours = SettlementService(db).statement(caller, year, month, caller.participant_id, None)
    except NotFound as exc:
        context["error"] = exc.detail
        return render(request, visitor, "statement.html", context, status_code=404)
    context["run"] = run
    context["statement"] = settlement_mapping.holder_month_public(totals)
    context["hours"] = [settlement_mapping.holder_hour_public(h) for h in hours]
    return render(request, visitor, "statement.html", context)


def _audit_page(
    request: Request, visitor: Visitor, db: Session, chain: str | None, check: ChainCheck
) -> HTMLResponse:
    table = audit_table(chain or None)
    audit_rows = page_of(db, table.query(), read_state(table.spec, request.query_params))
    context = {
        "page": audit_rows,
        "entries": [audit_mapping.entry_public(found[0]) for found in audit_rows.items],
        "chain": chain or "",
        "verdict": audit_mapping.verdict_public(check.verdict),
        "check": check,
    }
    return render(request, visitor, "audit.html", context)


@router.get("/portal/audit", response_class=HTMLResponse)
def audit_page_view(
    request: Request,
    visitor: VisitorDep,
    caller: PageAuditReader,
    db: SessionDep,
    clock: ClockDep,
    chain: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The log, with the chain checked from the last good verdict on (:mod:`app.audit.verification`)."""
    check = request.app.state.audit_verifications.check(db, clock.now())
    return _audit_page(request, visitor, db, chain, check)


@router.post("/portal/audit/verify", response_class=HTMLResponse)
def audit_verify_whole(
    request: Request,
    visitor: VisitorDep,
    caller: PageAuditReader,
    db: SessionDep,
    clock: ClockDep,
    csrf: CsrfField = "",
) -> HTMLResponse:
    """Walk the whole chain now and show the page with that verdict."""
    check_csrf(visitor, csrf)
    check = request.app.state.audit_verifications.check(db, clock.now(), full=True)
    return _audit_page(request, visitor, db, None, check)


@router.get("/portal/audit.csv")
def audit_download(
    request: Request,
    caller: PageAuditReader,
    chain: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """The audit log (or one sub-chain) as CSV: every entry the filters keep, in the table's order."""
    table = audit_table(chain or None)
    state = read_state(table.spec, request.query_params)
    lines = stream_csv(request.app.state.engine, table.query(), state, AUDIT_CSV_HEADER, audit_csv_row)
    return _csv_response(lines, f"audit-{chain or 'global'}.csv".replace(":", "-"))
