"""The auditor's downloads of each clearing's LP (for the OI and auditors, as the other clearing
inputs): the LP rebuilt from the stored inputs and streamed (:mod:`app.clearing.lp_export`), and
its SHA-256 (the same bytes written once more and hashed, nothing kept)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from api_schemas.auctions import PeriodClassName
from app.clearing.lp_export import LP_MEDIA_TYPE, clearing_lp, lp_blocks, lp_sha256
from app.deps import ObjectId, SessionDep
from app.web.visitor import PageAuditReader, PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RowsQuery = Annotated[Literal["binding", "all"], Query(description="the binding rows, or every row")]


@router.get("/portal/auctions/{auction_id}/lp/{period_class}.lp")
def clearing_lp_download(
    auction_id: ObjectId,
    period_class: PeriodClassName,
    caller: PageAuditReader,
    db: SessionDep,
    rows: RowsQuery = "binding",
) -> StreamingResponse:
    """The class auction's clearing LP in CPLEX LP format, streamed as it is written."""
    lp = clearing_lp(db, auction_id, period_class.value, all_rows=rows == "all")
    return StreamingResponse(
        lp_blocks(lp),
        media_type=LP_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{lp.filename()}"'},
    )


@router.get("/portal/auctions/{auction_id}/lp/{period_class}.lp.sha256", response_class=PlainTextResponse)
def clearing_lp_hash(
    auction_id: ObjectId,
    period_class: PeriodClassName,
    caller: PageAuditReader,
    db: SessionDep,
    rows: RowsQuery = "binding",
) -> PlainTextResponse:
    """``sha256sum`` output for the download: ``<hex>  <file name>``."""
    lp = clearing_lp(db, auction_id, period_class.value, all_rows=rows == "all")
    return PlainTextResponse(f"{lp_sha256(lp)}  {lp.filename()}\n")
