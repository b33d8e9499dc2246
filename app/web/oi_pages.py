"""The OI's pages (participants, keys, credit limits; network versions) and each posted auction's
public network page (model, outages, loop flows, contingency list, with downloads).

As in :mod:`app.web.pages`: each handler calls the service the JSON router calls, with the same
role guard, and renders a template; forms carry the session's CSRF token. A new API key is shown
once, on the page that answers the form (never in a URL, never stored).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api_schemas.auctions import AuctionPublic
from api_schemas.networks import NetworkFormatName
from api_schemas.participants import ApiKeyPublic, ParticipantCreate, ParticipantUpdate
from app.auctions.loop_flow_summary import CSV_HEADER as LOOP_FLOW_CSV_HEADER
from app.auctions.loop_flow_summary import loop_flow_summary
from app.auctions.mapping import auction_public
from app.auctions.service import AuctionService
from app.audit.service import actor_of
from app.bids.credit_service import CreditService
from app.bids.mapping import credit_public
from app.clearing.results import ResultsService
from app.clock import Clock
from app.contingency_sets import engine_contingencies
from app.csv_export import write_csv
from app.db import after_commit
from app.deps import ClockDep, ObjectId, SessionDep, SettingsDep
from app.errors import ServiceError
from app.networks.loading import NetworkFormat
from app.networks.mapping import network_public
from app.networks.outages import network_from_document
from app.networks.service import NetworkService
from app.networks.tables import NetworkVersion
from app.participants.mapping import key_issued, key_public, participant_public
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Settings
from app.units import to_cents
from app.web.visitor import PageOperator, PageRoute, SignedIn, Visitor, VisitorDep, check_csrf, render
from network.model import Network

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_ROWS = 50
CsrfField = Annotated[str, Form(alias="csrf")]
KeyPrefix = Annotated[str, Path(pattern="^[0-9a-f]{12}$")]


# -- participants, keys and credit limits (OI) ---------------------------------------------------


def _participants_page(
    request: Request,
    visitor: Visitor,
    db: Session,
    settings: Settings,
    offset: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    service = ParticipantService(db, settings.secret_key)
    rows, total = service.list_all(limit=PAGE_ROWS, offset=offset)
    credit = CreditService(db, settings)
    listed = [(participant_public(p), credit_public(credit.position(p.id))) for p in rows if p.id is not None]
    keys: dict[int, list[ApiKeyPublic]] = {}
    for key in service.keys([p.id for p in rows if p.id is not None]):
        keys.setdefault(key.participant_id, []).append(key_public(key))
    context: dict[str, Any] = {
        "participants": listed,
        "keys": keys,
        "revoked": None,
        "total": total,
        "offset": offset,
        "page_rows": PAGE_ROWS,
        "roles": [r.value for r in Role],
        "issued": None,
        "error": None,
        "form": {},
        **extra,
    }
    return render(request, visitor, "participants.html", context, status_code=status_code)


@router.get("/portal/participants", response_class=HTMLResponse)
def participants_page(
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    return _participants_page(request, visitor, db, settings, offset)


@router.post("/portal/participants", response_class=HTMLResponse)
def create_participant(
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
    name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    credit_limit: Annotated[str, Form(max_length=40)] = "0",
) -> HTMLResponse:
    check_csrf(visitor, csrf)
    form = {"name": name.strip(), "role": role, "credit_limit": credit_limit.strip() or "0"}
    try:
        body = ParticipantCreate.model_validate(form)
    except ValidationError as exc:
        reasons = "; ".join(f"{e['loc'][-1] if e['loc'] else 'form'}: {e['msg']}" for e in exc.errors())
        return _participants_page(
            request, visitor, db, settings, 0, status_code=422, error=reasons, form=form
        )
    service = ParticipantService(db, settings.secret_key)
    now = clock.now()
    try:
        created = service.create(
            name=body.name,
            role=Role(body.role.value),
            credit_limit_cents=to_cents(body.credit_limit),
            now=now,
        )
        issued = key_issued(service.issue_key(created, now=now))
    except ServiceError as exc:
        db.rollback()
        return _participants_page(
            request, visitor, db, settings, 0, status_code=exc.status, error=exc.detail, form=form
        )
    return _participants_page(request, visitor, db, settings, 0, issued=issued, issued_to=body.name)


@router.post("/portal/participants/{participant_id}/keys", response_class=HTMLResponse)
def issue_key(
    participant_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
) -> HTMLResponse:
    check_csrf(visitor, csrf)
    service = ParticipantService(db, settings.secret_key)
    participant = service.get(participant_id)
    issued = key_issued(service.issue_key(participant, now=clock.now()))
    return _participants_page(request, visitor, db, settings, 0, issued=issued, issued_to=participant.name)


@router.post("/portal/participants/{participant_id}/keys/{prefix}/revoke", response_class=HTMLResponse)
def revoke_key(
    participant_id: ObjectId,
    prefix: KeyPrefix,
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
) -> HTMLResponse:
    """The API's ``DELETE /api/v1/participants/{id}/keys/{prefix}`` behind a confirmed form."""
    check_csrf(visitor, csrf)
    service = ParticipantService(db, settings.secret_key)
    revoked = service.revoke_key(
        participant_id, prefix, actor=actor_of(caller.participant_id), now=clock.now()
    )
    after_commit(db, lambda: request.app.state.verified_keys.forget(prefix))
    return _participants_page(request, visitor, db, settings, 0, revoked=key_public(revoked))


@router.post("/portal/participants/{participant_id}/credit-limit", response_class=HTMLResponse)
def set_credit_limit(
    participant_id: ObjectId,
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: CsrfField = "",
    credit_limit: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(visitor, csrf)
    try:
        body = ParticipantUpdate.model_validate({"credit_limit": credit_limit.strip()})
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]) for e in exc.errors())
        return _participants_page(
            request, visitor, db, settings, 0, status_code=422,
            error=f"credit limit of participant {participant_id}: {reason}",
        )  # fmt: skip
    ParticipantService(db, settings.secret_key).set_credit_limit(
        participant_id, to_cents(body.credit_limit), actor=actor_of(caller.participant_id), now=clock.now()
    )
    return RedirectResponse(f"/portal/participants#participant-{participant_id}", status_code=303)


# -- network versions -------------------------------------------------------------------------------


@router.get("/portal/networks", response_class=HTMLResponse)
def networks_page(
    request: Request,
    visitor: VisitorDep,
    caller: SignedIn,
    db: SessionDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    rows, total = NetworkService(db).list_all(limit=PAGE_ROWS, offset=offset)
    context = {
        "versions": [network_public(v) for v in rows],
        "total": total,
        "offset": offset,
        "page_rows": PAGE_ROWS,
        "error": None,
    }
    return render(request, visitor, "networks.html", context)


@router.post("/portal/networks", response_class=HTMLResponse)
def upload_network(
    request: Request,
    visitor: VisitorDep,
    caller: PageOperator,
    db: SessionDep,
    clock: ClockDep,
    file: UploadFile,
    csrf: CsrfField = "",
    format: Annotated[NetworkFormatName, Form()] = NetworkFormatName.MATPOWER,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(visitor, csrf)
    try:
        stored = NetworkService(db).upload(
            fmt=NetworkFormat(format.value),
            content=file.file.read(),
            name=name.strip() or None,
            uploader_id=caller.participant_id,
            now=clock.now(),
        )
    except ServiceError as exc:
        db.rollback()
        rows, total = NetworkService(db).list_all(limit=PAGE_ROWS, offset=0)
        context = {
            "versions": [network_public(v) for v in rows],
            "total": total,
            "offset": 0,
            "page_rows": PAGE_ROWS,
            "error": f"{file.filename}: {exc.detail}",
        }
        return render(request, visitor, "networks.html", context, status_code=exc.status)
    return RedirectResponse(f"/portal/networks/{stored.version.id}", status_code=303)


def _contingency_rows(
    contingency_set: str, listed: Sequence[tuple[str, Sequence[str]]], network: Network
) -> list[tuple[str, list[str]]]:
    """The contingencies an auction's clearing checks, as (name, branches out) rows."""
    chosen = engine_contingencies(contingency_set, listed)
    if chosen is None:
        return [(c.id, list(c.branch_ids)) for c in network.contingencies]
    if chosen == "all":
        return [(b, [b]) for b in network.branch_ids]
    return [(c.id, list(c.branch_ids)) for c in chosen]


@router.get("/portal/networks/{version_id}", response_class=HTMLResponse)
def network_page(
    version_id: ObjectId, request: Request, visitor: VisitorDep, caller: SignedIn, db: SessionDep
) -> HTMLResponse:
    version = NetworkService(db).get(version_id)
    network = network_from_document(version.document)
    context = {
        "version": network_public(version),
        "summary": _summary(network),
        "contingencies": [(c.id, list(c.branch_ids)) for c in network.contingencies],
        "auction": None,
        "downloads": f"/portal/networks/{version_id}",
        "loop_flows": loop_flow_summary(db, version, include_drafts=caller.role is Role.OPERATOR),
    }
    return render(request, visitor, "network.html", context)


@router.get("/portal/networks/{version_id}/loop-flows.csv")
def network_loop_flows_download(
    version_id: ObjectId, visitor: VisitorDep, caller: SignedIn, db: SessionDep
) -> Response:
    """The version's loop-flow summary, every constraint (the page shows the same rows)."""
    version = NetworkService(db).get(version_id)
    summary = loop_flow_summary(db, version, include_drafts=caller.role is Role.OPERATOR)
    return PlainTextResponse(
        write_csv(LOOP_FLOW_CSV_HEADER, (r.csv_row() for r in summary.rows)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="network-{version_id}-loop-flows.csv"'},
    )


def _summary(network: Network) -> dict[str, Any]:
    return {
        "buses": len(network.bus_ids),
        "branches": len(network.branch_ids),
        "in_service": int(network.in_service.sum()),
        "pricing_points": len(network.pricing_points),
        "interfaces": len(network.interfaces),
        "contingencies": len(network.contingencies),
        "reference_bus": network.reference_bus,
    }


@router.get("/portal/networks/{version_id}/{name}")
def network_download(
    version_id: ObjectId, name: str, visitor: VisitorDep, caller: SignedIn, db: SessionDep
) -> Response:
    version = NetworkService(db).get(version_id)
    return _download(version, name, None)


def _download(version: NetworkVersion, name: str, auction: AuctionPublic | None) -> Response:
    if name == "network.json":
        return PlainTextResponse(
            version.document,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="network-{version.id}.json"'},
        )
    if name == "contingencies.csv":
        network = network_from_document(version.document)
        rows = (
            _contingency_rows(
                auction.contingency_set.value, [(c.id, c.branches) for c in auction.contingencies], network
            )
            if auction is not None
            else [(c.id, list(c.branch_ids)) for c in network.contingencies]
        )
        stem = f"auction-{auction.id}" if auction is not None else f"network-{version.id}"
        return PlainTextResponse(
            write_csv(("contingency", "branches_out"), ((cid, " ".join(out)) for cid, out in rows)),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{stem}-contingencies.csv"'},
        )
    return PlainTextResponse("not found: network.json or contingencies.csv", status_code=404)


# -- a posted auction's network, outages, loop flows and contingencies (public) ----------------------


@router.get("/portal/results/{auction_id}/network", response_class=HTMLResponse)
def auction_network_page(
    auction_id: ObjectId, request: Request, visitor: VisitorDep, db: SessionDep, clock: ClockDep
) -> HTMLResponse:
    auction, version = _posted_network(visitor, db, clock, auction_id)
    network = network_from_document(version.document)
    listed = [(c.id, c.branches) for c in auction.contingencies]
    context = {
        "version": network_public(version),
        "summary": _summary(network),
        "contingencies": _contingency_rows(auction.contingency_set.value, listed, network),
        "auction": auction,
        "downloads": f"/portal/results/{auction_id}/network",
    }
    return render(request, visitor, "network.html", context)


@router.get("/portal/results/{auction_id}/network/{name}")
def auction_network_download(
    auction_id: ObjectId, name: str, visitor: VisitorDep, db: SessionDep, clock: ClockDep
) -> Response:
    auction, version = _posted_network(visitor, db, clock, auction_id)
    return _download(version, name, auction)


def _posted_network(
    visitor: Visitor, db: Session, clock: Clock, auction_id: int
) -> tuple[AuctionPublic, NetworkVersion]:
    """The auction (its results readable by the visitor: posted, or cleared for the OI and auditors)
    and its network version."""
    auction = auction_public(AuctionService(db).get_readable(visitor.reader, auction_id, clock.now()))
    first = auction.classes[0].period_class.value if auction.classes else "on_peak"
    ResultsService(db).visible_class(visitor.reader, auction_id, first)
    return auction, NetworkService(db).get(auction.network_version_id)
