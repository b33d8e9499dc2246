"""``/api/v1/audit-log``: the hash-chained audit trail, readable and verifiable by the OI and auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api_schemas.audit import AuditEntryPublic, ChainVerdictPublic, CheckpointPublic
from api_schemas.common import Page
from app.audit import mapping
from app.audit.service import audit_keyed_page, latest_checkpoint
from app.audit_verify import verify_audit_text
from app.deps import AuditReader, CurrentParticipant, CursorPageDep, SessionDep

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"])


@router.get("", response_model=Page[AuditEntryPublic])
def list_audit_log(
    caller: AuditReader,
    session: SessionDep,
    page: CursorPageDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    chain: Annotated[
        str | None,
        Query(max_length=64, description="a sub-chain (participant:<id>); default: the global chain"),
    ] = None,
) -> Page[AuditEntryPublic]:
    """The links of the global chain or of one sub-chain in seq order (optionally of one action)."""
    found = audit_keyed_page(session, action=action, chain=chain, page=page)
    items = [mapping.entry_public(r) for (r,) in found.rows]
    return Page(
        items=items, total=found.total, limit=page.limit, offset=page.offset, next_cursor=found.next_cursor
    )


@router.get("/verify", response_model=ChainVerdictPublic)
def verify_audit_log(
    caller: AuditReader,
    session: SessionDep,
    head: Annotated[
        str | None,
        Query(
            max_length=90,
            description="a head SEQ:HASH held outside the database (default: the stored head)",
        ),
    ] = None,
) -> ChainVerdictPublic:
    """Walk the chain, its signed checkpoints and the results it covers (as ``ftr audit verify`` does)."""
    return mapping.verdict_public(verify_audit_text(session, head))


@router.get("/checkpoint", response_model=CheckpointPublic)
def read_checkpoint(caller: CurrentParticipant, session: SessionDep) -> CheckpointPublic:
    """The newest signed head of the chain (any participant): keep it, and pass it to ``verify?head=``."""
    return mapping.checkpoint_public(latest_checkpoint(session))
