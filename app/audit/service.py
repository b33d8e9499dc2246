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
from app.audit.tables import AuditCheckpoint, AuditLog, AuditSubLog
from app.audit_chain import AuditEntry, ChainVerdict, canonical_json, entry_hash, verify_chain
from app.errors import NotFound
from app.paging import KeyedPage, Pagination

ACTIONS = (
    "bid.created",
    "bid.modified",
    "bid.withdrawn",
    "window.opened",
    "window.closed",
    "auction.contingencies_set",
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
    "key.revoked",
    "revenue_requirement.set",
    "settlement.run",
    "settlement.year_end",
    "audit.sealed",
)
"""The actions the service records (others may be added: the chain accepts any non-empty name)."""

CHECKPOINT_ACTIONS = frozenset(
    {"window.opened", "window.closed", "clearing.run", "auction.posted", "settlement.run"}
)
"""State changes after which the new head is signed (:mod:`app.audit.signing`), when a key is set."""

SEAL_ACTION = "audit.sealed"
"""The global link recording every sub-chain's head, just before each state change."""


def actor_of(participant_id: int) -> str:
    return f"participant:{participant_id}"


def sub_chain_of(actor: str, action: str) -> str | None:
    """The sub-chain a link goes to: a participant's own bids and offers (``bid.*``) go to its chain."""
    if action.startswith("bid.") and actor.startswith("participant:"):
        return actor
    return None


def record_audit(
    session: Session,
    actor: str,
    action: str,
    payload: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one link to the audit trail in ``session``'s transaction; returns the link.

    A participant's bids and offers (``bid.*``) go to its own sub-chain (:func:`sub_chain_of`):
    only that chain's head row is locked, so participants never wait on each other. Every other
    link goes to the global chain under its head lock; before a state change
    (:data:`CHECKPOINT_ACTIONS`) an ``audit.sealed`` link records every sub-chain's head, and after
    it the new global head is signed (:mod:`app.audit.signing`) when a key is configured. All of it
    inside the caller's transaction: if it rolls back, so do the links. ``at`` defaults to now (UTC).
    """
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")
    repo = AuditRepository(session)
    when = at if at is not None else datetime.now(UTC)
    chain = sub_chain_of(actor, action)
    if chain is not None:
        sub_seq, sub_hash = repo.lock_sub_head(chain)
        return _append(repo, sub_seq, sub_hash, actor, action, payload, when, chain=chain)
    head_seq, head_hash = repo.lock_head()
    if action in CHECKPOINT_ACTIONS:
        heads = repo.sub_heads()
        if heads:
            sealed = {c: {"seq": s, "hash": h} for c, (s, h) in sorted(heads.items())}
            seal = _append(repo, head_seq, head_hash, "system", SEAL_ACTION, {"heads": sealed}, when)
            head_seq, head_hash = seal.seq, seal.hash
    entry = _append(repo, head_seq, head_hash, actor, action, payload, when)
    key = signing_key(session) if action in CHECKPOINT_ACTIONS else None
    if key is not None:
        repo.add_checkpoint(
            AuditCheckpoint(
                seq=entry.seq,
                hash=entry.hash,
                key_id=key_id(key.public_key()),
                signature=sign_checkpoint(key, entry.seq, entry.hash),
                at=when,
            )
        )
    return entry


def append_to_locked_sub_chain(
    session: Session,
    chain: str,
    head: tuple[int, str],
    actor: str,
    action: str,
    payload: Mapping[str, Any],
    *,
    at: datetime,
) -> AuditEntry:
    """Append one link to sub-chain ``chain`` whose head ``(seq, hash)`` the caller has read with the
    head row locked in this transaction (the bid path reads it in its participant-lock statement,
    saving :func:`record_audit`'s own lock statement). The link and the head move are the same as
    :func:`record_audit` makes: the verification cannot tell the two apart."""
    if sub_chain_of(actor, action) != chain:
        raise ValueError(f"{action!r} by {actor!r} does not belong to sub-chain {chain!r}")
    return _append(AuditRepository(session), head[0], head[1], actor, action, payload, at, chain=chain)


def _append(
    repo: AuditRepository,
    head_seq: int,
    head_hash: str,
    actor: str,
    action: str,
    payload: Mapping[str, Any],
    when: datetime,
    *,
    chain: str | None = None,
) -> AuditEntry:
    text = canonical_json(payload)
    plain = json.loads(text)
    seq = head_seq + 1
    digest = entry_hash(seq, when, actor, action, plain, head_hash)
    values = {
        "seq": seq,
        "at": when,
        "actor": actor,
        "action": action,
        "payload": text,
        "prev_hash": head_hash,
        "hash": digest,
    }
    if chain is None:
        repo.add(values)
    else:
        repo.add_sub({"chain": chain, **values})
    return AuditEntry(seq, when, actor, action, plain, head_hash, digest)


def stored_entries(session: Session, *, after: int = 0) -> Iterator[AuditEntry]:
    """The stored links (after seq ``after``) in seq order, as chain entries (a payload that is not
    JSON stays a string)."""
    for row in AuditRepository(session).stream(after=after if after > 0 else -(2**62)):
        try:
            payload: Any = json.loads(row.payload)
        except json.JSONDecodeError:
            payload = {"unreadable": row.payload}
        yield AuditEntry(row.seq, row.at, row.actor, row.action, payload, row.prev_hash, row.hash)


def stored_sub_entries(session: Session, chain: str) -> Iterator[AuditEntry]:
    """The stored links of one sub-chain in seq order."""
    for row in AuditRepository(session).stream_sub(chain):
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
    session: Session, *, action: str | None, limit: int, offset: int, chain: str | None = None
) -> tuple[Sequence[AuditLog | AuditSubLog], int]:
    """One page of the global chain, or of the sub-chain ``chain``, in seq order (optionally of one
    action) and the total count."""
    repo = AuditRepository(session)
    if chain is not None:
        sub_rows, total = repo.sub_page(chain, action=action, limit=limit, offset=offset)
        return sub_rows, total
    rows, total = repo.page(action=action, limit=limit, offset=offset)
    return rows, total


def audit_keyed_page(
    session: Session, *, action: str | None, chain: str | None, page: Pagination
) -> KeyedPage:
    """:func:`audit_page` paged by cursor or offset (rows ``(AuditLog,)`` or ``(AuditSubLog,)``)."""
    return AuditRepository(session).keyed_page(action=action, chain=chain, page=page)


def latest_checkpoint(session: Session) -> AuditCheckpoint:
    """The newest signed head (any participant may read it: it holds hashes, not data)."""
    checkpoint = AuditRepository(session).latest_checkpoint()
    if checkpoint is None:
        raise NotFound("no signed checkpoint yet (none is written without FTR_AUDIT_SIGNING_KEY_FILE)")
    return checkpoint
