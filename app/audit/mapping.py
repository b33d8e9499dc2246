"""Audit rows and chain verdicts -> wire models."""

from __future__ import annotations

import json

from api_schemas.audit import AuditEntryPublic, ChainVerdictPublic, CheckpointPublic
from app.audit.tables import AuditCheckpoint, AuditLog, AuditSubLog
from app.audit_chain import ChainVerdict


def entry_public(row: AuditLog | AuditSubLog) -> AuditEntryPublic:
    return AuditEntryPublic(
        chain=row.chain if isinstance(row, AuditSubLog) else None,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def verdict_public(verdict: ChainVerdict) -> ChainVerdictPublic:
    return ChainVerdictPublic(
        ok=verdict.ok,
        checked=verdict.checked,
        first_bad_seq=verdict.first_bad_seq,
        problem=verdict.problem.value if verdict.problem is not None else None,
        detail=verdict.detail,
        chain=verdict.chain,
    )


def checkpoint_public(row: AuditCheckpoint) -> CheckpointPublic:
    return CheckpointPublic(seq=row.seq, hash=row.hash, key_id=row.key_id, signature=row.signature, at=row.at)
