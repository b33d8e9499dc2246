"""The audit trail as a hash chain: canonical serialisation, chaining, verification, bid-book seals.

Every state change of the service (bids created, modified or withdrawn; windows opened and
closed; clearing runs; postings; allocations, assignments, transfers; credit changes;
settlement runs) is appended as an :class:`AuditEntry` ``(seq, at, actor, action, payload)``.
Each entry commits to its predecessor::

    hash_1 = sha256(canonical({seq, at, actor, action, payload, prev_hash: GENESIS}))
    hash_n = sha256(canonical({seq, at, actor, action, payload, prev_hash: hash_{n-1}}))

so altering any field of any stored entry, deleting one, inserting one or reordering them breaks
the chain at that entry, and :func:`verify_chain` names the first entry where it breaks. What the
chain alone cannot show is the removal of the *newest* entries; passing the head (``seq`` and
hash) recorded elsewhere, for instance in a sealed statement or a posting, closes that gap.

Canonical form (:func:`canonical_json`): JSON with keys sorted, no insignificant whitespace,
UTF-8 without escaping; ``Decimal`` as its string (``"12.30"`` stays ``"12.30"``); datetimes
timezone-aware, in UTC, ISO 8601 with ``Z``; enums by value; tuples as lists; floats by
Python's shortest round-trip ``repr`` (finite only). Money and MW should reach it as ``Decimal``
or ``int``, never as float. This module is pure: the service stores and reads the entries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

GENESIS_HASH = "0" * 64


def _plain(value: Any, path: str) -> Any:
    """``value`` as JSON-ready plain data, refusing what has no single canonical form."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return _plain(value.value, path)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{path}: {value} has no canonical form")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{path}: {value} has no canonical form")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{path}: datetime {value!r} is naive")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{path}: key {k!r} is not a string")
            out[k] = _plain(v, f"{path}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{path}: {type(value).__name__} has no canonical form")


def canonical_json(value: Any) -> str:
    """The one serialisation of ``value`` that hashes are computed over (see the module docstring)."""
    return json.dumps(_plain(value, "$"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A link of the chain. ``payload`` holds what changed (ids, states, hashes), JSON-ready."""

    seq: int
    at: datetime
    actor: str
    action: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, payload: Mapping[str, Any], prev_hash: str
) -> str:
    """sha256 over the canonical form of the entry's fields and its predecessor's hash."""
    body = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return sha256_hex(canonical_json(body))


def append_entry(
    previous: AuditEntry | None, at: datetime, actor: str, action: str, payload: Mapping[str, Any]
) -> AuditEntry:
    """The next link after ``previous`` (``None`` starts the chain at seq 1)."""
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    digest = entry_hash(seq, at, actor, action, payload, prev_hash)
    return AuditEntry(seq, at, actor, action, dict(payload), prev_hash, digest)


class Break(StrEnum):
    """How the chain is broken at the first bad entry."""

    ALTERED = "altered"  # the entry's stored fields no longer hash to its stored hash
    REPLACED = "replaced"  # the entry hashes, but is not the one its successor committed to
    REMOVED = "removed"  # entries are missing before this position (seq gap or missing head)
    INSERTED = "inserted"  # an entry that does not belong at this position (seq repeats or goes back)
    UNSIGNED = "unsigned"  # a signed checkpoint does not match the chain or its signature is not valid
    RESULTS_CHANGED = "results-changed"  # stored results no longer hash to what the chain recorded


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """``ok``, or the first bad entry: its ``seq`` (the missing seq for REMOVED) and why."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: Break | None = None
    detail: str = ""
    chain: str | None = None  # the sub-chain the bad entry is in (None: the global chain)


def verify_chain(
    entries: Iterable[AuditEntry],
    head: tuple[int, str] | None = None,
    *,
    start: tuple[int, str] | None = None,
) -> ChainVerdict:
    """Walk ``entries`` (as stored, in seq order) and name the first altered, removed or inserted one.

    ``entries`` may be a stream (a cursor over the table): one pass, constant memory apart from
    the head check, which keeps only the hash of the head's seq.

    Each entry is checked in turn: its seq must be the previous one + 1 (the first must be 1),
    its fields must hash to its stored hash, and its ``prev_hash`` must equal the previous
    entry's hash. An entry that hashes correctly but whose successor committed to a different
    hash was replaced wholesale (its own hash recomputed): it is reported, not its successor.
    ``head``, if given, is the last ``(seq, hash)`` recorded elsewhere; entries missing after
    the last stored one are then reported as REMOVED.

    ``start``: ``(seq, hash)`` of an entry already verified; ``entries`` then begin after it and
    the first must be chained to that hash (an incremental check: entries up to ``seq`` are not
    read again, so a change to them is found only by a walk from the start).
    """
    expected_seq = 1 if start is None else start[0] + 1
    prev: AuditEntry | None = None
    hashes: dict[int, str] = {} if start is None else {start[0]: start[1]}
    for e in entries:
        if e.seq > expected_seq:
            return ChainVerdict(
                False,
                e.seq - 1,
                expected_seq,
                Break.REMOVED,
                f"entries {expected_seq}..{e.seq - 1} are missing before entry {e.seq}",
            )
        if e.seq < expected_seq:
            return ChainVerdict(
                False,
                expected_seq - 1,
                e.seq,
                Break.INSERTED,
                f"entry with seq {e.seq} found where seq {expected_seq} was expected",
            )
        try:
            intact = entry_hash(e.seq, e.at, e.actor, e.action, e.payload, e.prev_hash) == e.hash
        except ValueError:
            intact = False  # a stored field was changed to something that has no canonical form
        if not intact:
            return ChainVerdict(
                False, e.seq - 1, e.seq, Break.ALTERED, f"entry {e.seq} ({e.action}) does not match its hash"
            )
        expected_prev = prev.hash if prev is not None else (GENESIS_HASH if start is None else start[1])
        if e.prev_hash != expected_prev:
            if prev is None and start is not None:
                return ChainVerdict(
                    False,
                    start[0] - 1,
                    start[0],
                    Break.REPLACED,
                    f"entry {start[0]} is not the entry verified before "
                    f"(entry {e.seq} is chained to another)",
                )
            if prev is None:
                return ChainVerdict(
                    False, 0, e.seq, Break.ALTERED, f"entry {e.seq} does not start from the genesis hash"
                )
            return ChainVerdict(
                False,
                prev.seq - 1,
                prev.seq,
                Break.REPLACED,
                f"entry {prev.seq} ({prev.action}) is not the entry that entry {e.seq} was chained to",
            )
        prev = e
        expected_seq += 1
        if head is not None and e.seq == head[0]:
            hashes[e.seq] = e.hash
    checked = expected_seq - 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > checked:
            return ChainVerdict(
                False,
                checked,
                checked + 1,
                Break.REMOVED,
                f"entries {checked + 1}..{head_seq} are missing after the last stored entry",
            )
        stored_hash = GENESIS_HASH if head_seq < 1 else hashes.get(head_seq)
        if start is not None and head_seq < start[0]:
            stored_hash = None  # the head went back: entries were removed
        if stored_hash != head_hash:
            return ChainVerdict(
                False, checked, head_seq, Break.REPLACED, f"entry {head_seq} is not the recorded head"
            )
    return ChainVerdict(True, checked)


def bid_book_hash(context: Mapping[str, Any], bids: Iterable[Mapping[str, Any]]) -> str:
    """A seal for a bid book at window close, independent of the order bids are listed in.

    ``sha256(canonical({context, bids: sorted(canonical(bid) for bid in bids)}))``: each bid is
    serialised canonically and the serialisations are sorted, so the same multiset of bids gives
    the same hash however the database returns them, and any added, removed or changed bid (a
    duplicate included) gives another. ``context`` names the book (auction id, class, window).
    """
    return sha256_hex(canonical_json({"context": context, "bids": sorted(canonical_json(b) for b in bids)}))


def bid_book_matches(context: Mapping[str, Any], bids: Iterable[Mapping[str, Any]], sealed_hash: str) -> bool:
    """Whether the bid book about to be cleared is the one sealed at window close."""
    return hmac.compare_digest(bid_book_hash(context, bids), sealed_hash)
