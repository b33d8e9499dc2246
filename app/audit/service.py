"""Appending to and verifying the audit trail (the chain itself is :mod:`app.audit_chain`).

Every state change calls :func:`record_audit` in the *same* session, before the request's
transaction commits, so the change and its link commit together or not at all::

    from app.audit.service import record_audit
    record_audit(session, actor="participant:7", action="bid.created", payload={"bid_id": 12, ...})

``actor`` says who (``participant:<id>`` for a caller, ``system`` for the service itself),
``action`` what (a dotted verb, see :data:`ACTIONS`), ``payload`` the ids, states and values of
the change (JSON-ready: ``str``, ``int``, ``Decimal``, aware ``datetime``; never a float for
money). The payload is stored as its canonical JSON text, and the link's hash is computed over
that same text parsed back, so what is verified later is exactly what was stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.audit.repository import AuditRepository
from app.audit.signing import key_id, sign_checkpoint, signing_key
from app.audit.tables import AuditCheckpoint, AuditLog
from app.audit_chain import AuditEntry, ChainVerdict, canonical_json, entry_hash, verify_chain

ACTIONS = (
    "bid.created",
    "bid.modified",
    "bid.withdrawn",
    "window.opened",
    "window.closed",
    "clearing.run",
    "auction.posted",
    "holding.recorded",
    "application.submitted",
    "application.elected",
    "application.reviewed",
    "application.withdrawn",
    "application.deferred",
    "transfer.requested",
    "transfer.accepted",
    "transfer.declined",
    "transfer.cancelled",
    "transfer.verified",
    "transfer.rejected",
    "credit.changed",
    "revenue_requirement.set",
    "settlement.run",
    "settlement.year_end",
)
"""The actions the service records (others may be added: the chain accepts any non-empty name)."""

CHECKPOINT_ACTIONS = frozenset(
    {"window.opened", "window.closed", "clearing.run", "auction.posted", "settlement.run"}
)
"""State changes after which the new head is signed (:mod:`app.audit.signing`), when a key is set."""


def actor_of(participant_id: int) -> str:
    return f"participant:{participant_id}"


def record_audit(
    session: Session,
    actor: str,
    action: str,
    payload: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one link to the audit chain in ``session``'s transaction; returns the link.

    Takes the head row's lock first (appends are serialised), chains to the head, stores the
    link and moves the head, all inside the caller's transaction: if it rolls back, so does
    the link. ``at`` defaults to the current UTC time.
    """
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")
    repo = AuditRepository(session)
    head_seq, head_hash = repo.lock_head()
    when = at if at is not None else datetime.now(UTC)
    text = canonical_json(payload)
    plain = json.loads(text)
    seq = head_seq + 1
    digest = entry_hash(seq, when, actor, action, plain, head_hash)
    repo.add(
        {
            "seq": seq,
            "at": when,
            "actor": actor,
            "action": action,
            "payload": text,
            "prev_hash": head_hash,
            "hash": digest,
        }
    )
    key = signing_key(session) if action in CHECKPOINT_ACTIONS else None
    if key is not None:
        repo.add_checkpoint(
            AuditCheckpoint(
                seq=seq,
                hash=digest,
                key_id=key_id(key.public_key()),
                signature=sign_checkpoint(key, seq, digest),
                at=when,
            )
        )
    return AuditEntry(seq, when, actor, action, plain, head_hash, digest)


def stored_entries(session: Session) -> Iterator[AuditEntry]:
    """The stored links in seq order, as chain entries (a payload that is not JSON stays a string)."""
    for row in AuditRepository(session).stream():
        try:
            payload: Any = json.loads(row.payload)
        except json.JSONDecodeError:
            payload = {"unreadable": row.payload}
        yield AuditEntry(row.seq, row.at, row.actor, row.action, payload, row.prev_hash, row.hash)


def verify_stored_chain(session: Session) -> ChainVerdict:
    """Walk the stored chain against the stored head; name the first altered or removed link."""
    head = AuditRepository(session).head()
    head_pair = (head.seq, head.hash) if head is not None else None
    verdict = verify_chain(stored_entries(session), head_pair)
    if verdict.ok and head is None and verdict.checked > 0:
        return ChainVerdict(False, verdict.checked, verdict.checked, None, "the audit head record is missing")
    return verdict


def audit_page(
    session: Session, *, action: str | None, limit: int, offset: int
) -> tuple[Sequence[AuditLog], int]:
    """One page of the chain in seq order (optionally of one action) and the total count."""
    return AuditRepository(session).page(action=action, limit=limit, offset=offset)
