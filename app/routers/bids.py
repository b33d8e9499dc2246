"""Bids to buy and offers to sell (OA 7.3.5), while the auction's window is open.

``POST /api/v1/auctions/{auction_id}/bids`` takes an optional ``Idempotency-Key`` header: a retry
with the same key and body returns the first bid (200, ``Idempotent-Replayed: true``); the same
key with a different body, or a key already used on the other bid route, is refused (422).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api_schemas.auctions import PeriodClassIn
from api_schemas.bids import BidCreate, BidPublic, BidStatusName, BidUpdate, BulkResult, SideName
from api_schemas.common import Page
from app.bids.mapping import bid_public, bids_csv, order_spec, request_hash
from app.bids.repository import BidFilter
from app.bids.service import BidService
from app.bids.upload import SpooledUpload, spool_upload
from app.deps import (
    Bidder,
    BulkUploadSlot,
    ClockDep,
    CurrentParticipant,
    CursorPageDep,
    ObjectId,
    SessionDep,
    SettingsDep,
)
from app.errors import ServiceError, UploadFormatError
from app.units import to_cents, to_tenths

router = APIRouter(prefix="/api/v1", tags=["bids"])

BID_LINKS = {
    name: {"operationId": operation, "parameters": {"bid_id": "$response.body#/id"}}
    for name, operation in (
        ("ReadBid", "read_bid_api_v1_bids__bid_id__get"),
        ("UpdateBid", "update_bid_api_v1_bids__bid_id__patch"),
        ("WithdrawBid", "withdraw_bid_api_v1_bids__bid_id__delete"),
    )
}
"""OpenAPI links from a created bid to the operations on it (clients and stateful tests follow them)."""

IDEMPOTENCY_KEY_PATTERN = r"^[!-\"$-~]+$"
"""Printable ASCII without space and ``#`` (an upload's row ``n`` is stored as ``<key>#<n>``)."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="client-chosen key (printable ASCII, no `#`); a retry with the same key and body "
        "never makes a second bid; a key used for a bulk upload is refused here (422)",
    ),
]

BulkIdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=180,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="client-chosen key (printable ASCII, no `#`); a retried upload with the same key and "
        "body stores nothing new; a key used for a single bid is refused here (422)",
    ),
]

_BULK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/BidCreate"}},
                "example": [
                    {
                        "side": "buy",
                        "period_class": "on_peak",
                        "source": "101",
                        "sink": "205",
                        "mw": "10.0",
                        "price": "800.00",
                    }
                ],
            },
            "text/csv": {
                "schema": {"type": "string"},
                "example": (
                    "side,period_class,source,sink,hedge,mw,price\nbuy,on_peak,101,205,obligation,10.0,800.00\n"
                ),
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                },
            },
        },
    }
}

_BY_SUFFIX = {".csv": "text/csv", ".json": "application/json"}


async def _multipart_upload(request: Request, *, auction_id: int, max_rows: int) -> SpooledUpload:
    """The ``file`` part of a multipart upload, spooled like a raw body; its media type is its own,
    else its name's suffix."""
    try:
        async with request.form() as form:
            part = form.get("file")
            if part is None or isinstance(part, str):
                raise UploadFormatError(
                    "a multipart upload carries the bids as a file in the part named 'file'"
                )
            media = (part.content_type or "").split(";")[0].strip().lower()
            if media not in ("text/csv", "application/csv", "application/json"):
                media = _BY_SUFFIX.get(PurePosixPath(part.filename or "").suffix.lower(), media)

            async def chunks() -> AsyncIterator[bytes]:
                while chunk := await part.read(1 << 20):
                    yield chunk

            return await spool_upload(chunks(), auction_id=auction_id, media_type=media, max_rows=max_rows)
    except ServiceError:
        raise
    except Exception as exc:  # the multipart parser raises several unrelated types for a bad body
        raise UploadFormatError(f"the multipart body cannot be read: {type(exc).__name__}") from exc


@router.post(
    "/auctions/{auction_id}/bids",
    status_code=status.HTTP_201_CREATED,
    response_model=BidPublic,
    responses={
        200: {"model": BidPublic, "description": "idempotent replay of an earlier request"},
        201: {"links": BID_LINKS},
    },
)
def create_bid(
    auction_id: ObjectId,
    body: BidCreate,
    response: Response,
    caller: Bidder,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> BidPublic:
    """Submit a bid (``side = buy``) or an offer of a held FTR (``side = sell``) while the window is open."""
    created = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh).create(
        caller,
        auction_id,
        order_spec(body),
        idempotency_key=idempotency_key,
        request_hash=request_hash(auction_id, body),
        clock=clock,
    )
    if created.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return bid_public(created.bid, None)


@router.post(
    "/auctions/{auction_id}/bids/bulk",
    status_code=status.HTTP_201_CREATED,
    response_model=BulkResult,
    openapi_extra=_BULK_BODY,
)
async def upload_bids(
    auction_id: ObjectId,
    request: Request,
    response: Response,
    caller: Bidder,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    _slot: BulkUploadSlot,
    idempotency_key: BulkIdempotencyKey = None,
) -> BulkResult:
    """Upload many bids and offers (CSV or JSON, as the body or as the multipart part ``file``): all are
    stored, or none and every bad row is listed."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        upload = await _multipart_upload(request, auction_id=auction_id, max_rows=settings.max_bulk_rows)
    else:
        upload = await spool_upload(
            request.stream(), auction_id=auction_id, media_type=media_type, max_rows=settings.max_bulk_rows
        )

    def run() -> BulkResult:
        try:
            service = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh)
            ids, replayed = service.bulk_create(
                caller,
                auction_id,
                upload,
                clock,
                max_rows=settings.max_bulk_rows,
                idempotency_key=idempotency_key,
            )
        finally:
            upload.close()
        if replayed:
            response.status_code = status.HTTP_200_OK
            response.headers["Idempotent-Replayed"] = "true"
        return BulkResult(created=0 if replayed else len(ids), bid_ids=ids)

    return await run_in_threadpool(run)


@router.get("/auctions/{auction_id}/bids", response_model=Page[BidPublic])
def list_bids(
    auction_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    page: CursorPageDep,
    period_class: Annotated[
        PeriodClassIn | None, Query(alias="class", description="on_peak or off_peak")
    ] = None,
    status: Annotated[BidStatusName | None, Query(description="active or withdrawn")] = None,
    side: Annotated[SideName | None, Query(description="buy (bids) or sell (offers)")] = None,
    source: Annotated[
        str | None, Query(min_length=1, max_length=100, description="the path's source")
    ] = None,
    sink: Annotated[str | None, Query(min_length=1, max_length=100, description="the path's sink")] = None,
) -> Page[BidPublic]:
    """The caller's own bids and offers in an auction, with fills once posted (OI and auditors: all, from
    the clearing on), in id order; filtered by class, state, side and path; paged by cursor or offset."""
    service = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh)
    filters = BidFilter(
        period_class=period_class.value if period_class is not None else None,
        status=status.value if status is not None else None,
        side=side.value if side is not None else None,
        source=source,
        sink=sink,
    )
    found = service.list_for_auction(caller, auction_id, page=page, now=clock.now(), filters=filters)
    return Page(
        items=[bid_public(b, f) for b, f in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=found.next_cursor,
    )


@router.get(
    "/auctions/{auction_id}/bids.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {"example": "id,side,period_class,source,sink,...\n"}}}},
)
def export_bids(
    auction_id: ObjectId,
    caller: CurrentParticipant,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> PlainTextResponse:
    """The caller's own bids and offers in an auction with their fills and amounts, as CSV."""
    service = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh)
    rows = service.all_for_auction(caller, auction_id, now=clock.now())
    return PlainTextResponse(bids_csv([bid_public(b, f) for b, f in rows]), media_type="text/csv")


@router.get("/bids/{bid_id}", response_model=BidPublic)
def read_bid(
    bid_id: ObjectId, caller: CurrentParticipant, session: SessionDep, settings: SettingsDep
) -> BidPublic:
    """One of the caller's bids or offers (404 for anyone else's)."""
    bid, fill = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh).get(
        caller, bid_id
    )
    return bid_public(bid, fill)


@router.patch("/bids/{bid_id}", response_model=BidPublic)
def update_bid(
    bid_id: ObjectId,
    body: BidUpdate,
    caller: Bidder,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> BidPublic:
    """Change the MW and/or price of one's own active bid or offer while the window is open."""
    bid, fill = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh).update(
        caller,
        bid_id,
        mw_tenths=to_tenths(body.mw) if body.mw is not None else None,
        price_cents=to_cents(body.price) if body.price is not None else None,
        clock=clock,
    )
    return bid_public(bid, fill)


@router.delete("/bids/{bid_id}", response_model=BidPublic)
def withdraw_bid(
    bid_id: ObjectId, caller: Bidder, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> BidPublic:
    """Withdraw one's own bid or offer while the window is open (it stays on record as withdrawn)."""
    bid, fill = BidService(session, credit_floor_cents_per_mwh=settings.credit_floor_cents_per_mwh).withdraw(
        caller, bid_id, clock
    )
    return bid_public(bid, fill)
