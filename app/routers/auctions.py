"""``/api/v1/auctions``: monthly auctions and their lifecycle (OI), readable by every participant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api_schemas.auctions import AuctionCreate, AuctionPublic, AuctionStatusName, ContingencySetUpdate
from api_schemas.common import Page
from app.auctions.lifecycle import AuctionStatus
from app.auctions.mapping import auction_public
from app.auctions.service import AuctionService
from app.audit.service import actor_of
from app.bid_book import close_window
from app.deps import ClockDep, CurrentParticipant, CursorPageDep, ObjectId, Operator, SessionDep
from app.errors import FieldError, UploadFormatError, ValidationFailed

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


_CONTAB_EXAMPLE = (
    "label,probability,table,row,column,change_type,new_value\n"
    "1,0.01,CT_TBRCH,2,BR_STATUS,CT_REP,0\n"
    "2,0.01,CT_TGEN,1,GEN_STATUS,CT_REP,0\n"
)
_CONTINGENCY_SET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ContingencySetUpdate"}},
            "text/csv": {"schema": {"type": "string"}, "example": _CONTAB_EXAMPLE},
            "text/x-matlab": {
                "schema": {"type": "string"},
                "example": "function chgtab = contab\ndefine_constants;\nchgtab = [\n"
                "\t1\t0.01\tCT_TBRCH\t2\tBR_STATUS\tCT_REP\t0;\n];\n",
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


@router.put(
    "/{auction_id}/contingency-set", response_model=AuctionPublic, openapi_extra=_CONTINGENCY_SET_BODY
)
async def set_contingency_set(
    auction_id: ObjectId,
    request: Request,
    caller: Operator,
    session: SessionDep,
    clock: ClockDep,
    filename: Annotated[
        str | None,
        Query(max_length=255, description="the change table's file name (a raw body; `.m` or `.csv`)"),
    ] = None,
) -> AuctionPublic:
    """Replace a draft auction's contingency set. OI only, while the auction is a draft.

    JSON (``contingency_set`` and, for ``list``, ``contingencies``) as at creation, or a MATPOWER
    change table (``contab``: a ``.m`` function or the seven-column CSV) as the body (``text/csv``,
    ``text/x-matlab``, or any type with ``?filename=`` ending ``.m``/``.csv``) or as the multipart part
    ``file``. A table's branch outages become a ``list`` set; its name and SHA-256 are kept; its
    generator outages are not secured (docs/rules.md). A bad file is refused (422) naming file, row and
    column; a non-draft auction is refused (409)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    actor = actor_of(caller.participant_id)
    service = AuctionService(session)
    if media_type == "application/json":
        body = _json_update(await request.body())
        view = await run_in_threadpool(
            lambda: service.set_contingencies(
                auction_id,
                clock.now(),
                contingency_set=body.contingency_set.value,
                contingencies=[(c.id, c.branches) for c in body.contingencies],
                actor=actor,
            )
        )
    else:
        name, data, sent_as = await _contab_body(request, media_type, filename)
        view = await run_in_threadpool(
            lambda: service.set_contab(
                auction_id, clock.now(), name=name, data=data, media_type=sent_as, actor=actor
            )
        )
    return auction_public(view)


def _json_update(raw: bytes) -> ContingencySetUpdate:
    try:
        return ContingencySetUpdate.model_validate_json(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            "the contingency set is not valid",
            errors=[
                FieldError(".".join(["body", *(str(p) for p in e["loc"])]), e["msg"]) for e in exc.errors()
            ],
        ) from None


async def _contab_body(
    request: Request, media_type: str, filename: str | None
) -> tuple[str | None, bytes, str]:
    """``(file name, bytes, media type)`` of a change table sent raw or as the multipart part ``file``."""
    if media_type != "multipart/form-data":
        return filename, await request.body(), media_type
    try:
        async with request.form() as form:
            part = form.get("file")
            if part is None or isinstance(part, str):
                raise UploadFormatError(
                    "a multipart upload carries the change table as the part named 'file'"
                )
            own = (part.content_type or "").split(";")[0].strip().lower()
            return filename or part.filename, await part.read(), own
    except UploadFormatError:
        raise
    except Exception as exc:  # the multipart parser raises several unrelated types for a bad body
        raise UploadFormatError(f"the multipart body cannot be read: {type(exc).__name__}") from exc
