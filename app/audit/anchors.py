"""The audit anchor of a posting or a settlement run: its global link, the sub-chain heads sealed just
before it, and the signed checkpoint at it (docs/audit.md, "Heads a holder keeps").

``record_audit`` writes, for each state change, the ``audit.sealed`` link (every sub-chain's head) at
``seq - 1`` and the checkpoint at ``seq``, in the same transaction; this module only reads them back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from sqlmodel import Session, col, select

from api_schemas.audit import AuditAnchorPublic, SubChainHeadPublic
from app.audit.mapping import checkpoint_public
from app.audit.service import SEAL_ACTION
from app.audit.tables import AuditCheckpoint, AuditLog


def latest_link(session: Session, action: str, matches: Callable[[dict[str, Any]], bool]) -> AuditLog | None:
    """The newest global link of ``action`` whose payload ``matches`` (state changes are few)."""
    rows = session.exec(select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.seq).desc()))
    for row in rows:
        try:
            payload = json.loads(row.payload)
        except ValueError:
            continue
        if isinstance(payload, dict) and matches(payload):
            return row
    return None


def anchor_of(session: Session, link: AuditLog, chains: Collection[str] | None) -> AuditAnchorPublic:
    """``link``'s anchor; the sealed heads of ``chains`` only (``None``: all of them)."""
    seal = session.get(AuditLog, link.seq - 1)
    heads: dict[str, Any] = {}
    if seal is not None and seal.action == SEAL_ACTION:
        try:
            heads = json.loads(seal.payload).get("heads", {})
        except (ValueError, AttributeError):
            heads = {}
    checkpoint = session.get(AuditCheckpoint, link.seq)
    return AuditAnchorPublic(
        action=link.action,
        link_seq=link.seq,
        link_hash=link.hash,
        sub_chain_heads=[
            SubChainHeadPublic(chain=chain, seq=int(head["seq"]), hash=str(head["hash"]))
            for chain, head in sorted(heads.items())
            if chains is None or chain in chains
        ],
        checkpoint=checkpoint_public(checkpoint) if checkpoint is not None else None,
    )


def anchor_headers(anchor: AuditAnchorPublic | None) -> dict[str, str]:
    """The anchor as HTTP response headers (a CSV or Parquet download keeps its body a plain table)."""
    if anchor is None:
        return {}
    headers = {"X-Audit-Link": f"{anchor.action}:{anchor.link_seq}:{anchor.link_hash}"}
    if anchor.sub_chain_heads:
        headers["X-Audit-Sub-Chain-Heads"] = " ".join(
            f"{h.chain}:{h.seq}:{h.hash}" for h in anchor.sub_chain_heads
        )
    if anchor.checkpoint is not None:
        c = anchor.checkpoint
        headers["X-Audit-Checkpoint"] = f"{c.seq}:{c.hash}:{c.key_id}:{c.signature}"
    return headers
