"""The audit page's chain verification, kept per process so that a view walks only the new links.

A walk of the whole chain reads every entry; the audit page is viewed far more often than the chain
grows. :class:`ChainVerifications` remembers the last good verdict: the seq and hash of the last
entry verified, when the last whole walk ran and when the last check ran. A view then

1. reads the remembered entry again: if it is gone or its stored hash changed, the whole chain is
   walked;
2. otherwise verifies that entry again (its fields must still hash to the remembered hash) and the
   entries after it, each chained to the one before, and the head;
3. walks the whole chain anyway when the last whole walk is older than ``full_every_s``, or when the
   auditor asks for it (``full=True``).

So a change to a new entry, to the remembered one or to the head is found at the next view; a change
to an older entry (raw SQL on a row already verified) is found by the next whole walk: at the
auditor's request or at most ``full_every_s`` later. The page says which kind of check ran, up to
which entry and when. A broken verdict is never remembered: every view walks the whole chain again
until the chain is whole.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.audit.repository import AuditRepository
from app.audit.service import stored_entries, verify_stored_chain
from app.audit_chain import ChainVerdict, verify_chain

FULL_EVERY_S = 3600.0
"""A whole walk at least this often (s), whatever the views."""


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """One view's verification: the verdict, and what was read to reach it."""

    verdict: ChainVerdict
    whole: bool
    """the chain was walked from its first entry (``False``: only the entries after ``from_seq``)"""
    from_seq: int
    """the entries after this seq were read (0 for a whole walk; else the one before the entry
    verified last, which is read again)"""
    up_to_seq: int
    head_hash: str | None
    checked_at: datetime
    whole_walk_at: datetime | None
    """the last whole walk that found the chain intact (``None``: none yet in this process)"""


@dataclass(frozen=True, slots=True)
class _Good:
    seq: int
    hash: str
    whole_walk_at: datetime


class ChainVerifications:
    """The last good verdict of this process (one per app; thread-safe)."""

    def __init__(self, full_every_s: float = FULL_EVERY_S) -> None:
        self.full_every_s = full_every_s
        self._good: _Good | None = None
        self._lock = threading.Lock()

    def check(self, session: Session, now: datetime, *, full: bool = False) -> ChainCheck:
        with self._lock:
            good = self._good
        repo = AuditRepository(session)
        if good is not None and not full and (now - good.whole_walk_at).total_seconds() < self.full_every_s:
            if good.seq == 0:
                return self._incremental(session, good, None, now)
            kept = repo.get(good.seq)
            if kept is not None and kept.hash == good.hash:
                return self._incremental(session, good, kept.prev_hash, now)
        return self._whole(session, now)

    def _incremental(self, session: Session, good: _Good, prev_hash: str | None, now: datetime) -> ChainCheck:
        """From the remembered entry on (``prev_hash``: what it is chained to, as stored in it)."""
        head = AuditRepository(session).head()
        head_pair = (head.seq, head.hash) if head is not None else None
        from_seq = max(good.seq - 1, 0)
        start = (from_seq, prev_hash) if prev_hash is not None and from_seq > 0 else None
        verdict = verify_chain(stored_entries(session, after=from_seq), head_pair, start=start)
        if verdict.ok and head is None and verdict.checked > 0:
            verdict = ChainVerdict(
                False, verdict.checked, verdict.checked, None, "the audit head record is missing"
            )
        return self._remember(
            verdict, head_pair, now, whole=False, from_seq=from_seq, walk_at=good.whole_walk_at
        )

    def _whole(self, session: Session, now: datetime) -> ChainCheck:
        head = AuditRepository(session).head()
        head_pair = (head.seq, head.hash) if head is not None else None
        verdict = verify_stored_chain(session)
        return self._remember(verdict, head_pair, now, whole=True, from_seq=0, walk_at=now)

    def _remember(
        self,
        verdict: ChainVerdict,
        head: tuple[int, str] | None,
        now: datetime,
        *,
        whole: bool,
        from_seq: int,
        walk_at: datetime,
    ) -> ChainCheck:
        with self._lock:
            if verdict.ok:
                seq, digest = head if head is not None else (0, "")
                self._good = _Good(seq, digest, walk_at)
            else:
                self._good = None
            remembered = self._good
        return ChainCheck(
            verdict=verdict,
            whole=whole,
            from_seq=from_seq,
            up_to_seq=verdict.checked,
            head_hash=head[1] if head is not None else None,
            checked_at=now,
            whole_walk_at=remembered.whole_walk_at if remembered is not None else None,
        )
