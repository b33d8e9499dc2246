"""``/api/v1/audit-log``: the hash-chained audit trail, readable and verifiable by the OI and auditors."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api_schemas.audit import AuditEntryPublic, ChainVerdictPublic
from api_schemas.common import Page
from app.audit.repository import AuditRepository
from app.audit.service import verify_stored_chain
from app.deps import CurrentParticipant, PageDep, SessionDep
from app.errors import Forbidden
from app.participants.roles import READ_ALL_ROLES
from app.participants.service import Caller

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"])


def require_reader(caller: CurrentParticipant) -> Caller:
    if caller.role not in READ_ALL_ROLES:
        raise Forbidden("only the OI and auditors read the audit trail")
    return caller


Reader = Annotated[Caller, Depends(require_reader)]


@router.get("", response_model=Page[AuditEntryPublic])
def list_audit_log(
    caller: Reader,
    session: SessionDep,
    page: PageDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditEntryPublic]:
    """The links of the chain in seq order (optionally of one action)."""
    rows, total = AuditRepository(session).page(action=action, limit=page.limit, offset=page.offset)
    items = [
        AuditEntryPublic(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            action=r.action,
            payload=json.loads(r.payload),
            prev_hash=r.prev_hash,
            hash=r.hash,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/verify", response_model=ChainVerdictPublic)
def verify_audit_log(caller: Reader, session: SessionDep) -> ChainVerdictPublic:
    """Walk the chain against the stored head (as ``ftr audit verify`` does)."""
    v = verify_stored_chain(session)
    return ChainVerdictPublic(
        ok=v.ok,
        checked=v.checked,
        first_bad_seq=v.first_bad_seq,
        problem=v.problem.value if v.problem is not None else None,
        detail=v.detail,
    )
