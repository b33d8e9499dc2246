"""Every query on the audit log and its head. There is no method to change or delete a link."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.audit.tables import AuditHead, AuditLog
from app.audit_chain import GENESIS_HASH
from app.db import is_postgresql

HEAD_ID = 1


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> AuditHead:
        """The head row, locked to the end of the transaction (created at genesis if missing).

        PostgreSQL: ``INSERT ... ON CONFLICT DO NOTHING`` then ``SELECT ... FOR UPDATE``, so
        concurrent appends queue on the row and number their links without gaps. SQLite: the
        transaction already holds the write lock (``BEGIN IMMEDIATE``).
        """
        dialect = postgresql if is_postgresql(self.session) else sqlite
        self.session.execute(
            dialect.insert(AuditHead)
            .values(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        stmt = select(AuditHead).where(AuditHead.id == HEAD_ID)
        if is_postgresql(self.session):
            stmt = stmt.with_for_update()
        head = self.session.exec(stmt.execution_options(populate_existing=True)).one()
        return head

    def head(self) -> AuditHead | None:
        return self.session.get(AuditHead, HEAD_ID)

    def last(self) -> AuditLog | None:
        return self.session.exec(select(AuditLog).order_by(col(AuditLog.seq).desc()).limit(1)).first()

    def get(self, seq: int) -> AuditLog | None:
        return self.session.get(AuditLog, seq)

    def add(self, row: AuditLog, head: AuditHead) -> AuditLog:
        self.session.add(row)
        head.seq = row.seq
        head.hash = row.hash
        self.session.add(head)
        self.session.flush()
        return row

    def stream(self, batch: int = 1000) -> Iterator[AuditLog]:
        """Every link in seq order, read in batches (constant memory for a long chain)."""
        after = -(2**62)
        while True:
            rows = self.session.exec(
                select(AuditLog).where(AuditLog.seq > after).order_by(col(AuditLog.seq)).limit(batch)
            ).all()
            if not rows:
                return
            yield from rows
            after = rows[-1].seq

    def page(self, *, action: str | None, limit: int, offset: int) -> tuple[list[AuditLog], int]:
        from sqlalchemy import func

        stmt = select(AuditLog)
        if action is not None:
            stmt = stmt.where(AuditLog.action == action)
        total = self.session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = self.session.exec(stmt.order_by(col(AuditLog.seq)).limit(limit).offset(offset)).all()
        return list(rows), int(total)
