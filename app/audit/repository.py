"""Every query on the audit log and its head. There is no method to change or delete a link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from app.audit.tables import AuditCheckpoint, AuditHead, AuditLog, AuditSubHead, AuditSubLog
from app.audit_chain import GENESIS_HASH
from app.db import is_postgresql
from app.paging import KeyedPage, Pagination, page_by_key

HEAD_ID = 1

_sub_log = AuditSubLog.__table__  # type: ignore[attr-defined]
_sub_head = AuditSubHead.__table__  # type: ignore[attr-defined]
_SUB_LINK_COLUMNS = ("chain", "seq", "at", "actor", "action", "payload", "prev_hash", "hash")
_ADD_SUB_POSTGRESQL = (
    sa.update(_sub_head)
    .where(_sub_head.c.chain == sa.bindparam("link_chain"))
    .values(seq=sa.bindparam("link_seq"), hash=sa.bindparam("link_hash"))
    .add_cte(
        sa.insert(_sub_log)
        .values({c: sa.bindparam(f"link_{c}", type_=_sub_log.c[c].type) for c in _SUB_LINK_COLUMNS})
        .cte("new_link")
    )
)
"""PostgreSQL: insert a sub-chain link and move the head to it (built once: a statement built per
call cost about a millisecond of CPU; bind names differ from the columns', see below)."""


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> tuple[int, str]:
        """The head ``(seq, hash)``, its row locked to the end of the transaction (created if missing).

        PostgreSQL: ``SELECT ... FOR UPDATE``, so concurrent appends queue on the row and number
        their links without gaps; a missing row is first created with ``INSERT ... ON CONFLICT DO
        NOTHING``. SQLite: the transaction already holds the write lock (``BEGIN IMMEDIATE``).
        """
        stmt = sa.select(col(AuditHead.seq), col(AuditHead.hash)).where(col(AuditHead.id) == HEAD_ID)
        return self._locked_head(stmt, AuditHead, "id", HEAD_ID)

    def head(self) -> AuditHead | None:
        return self.session.get(AuditHead, HEAD_ID)

    def last(self) -> AuditLog | None:
        return self.session.exec(select(AuditLog).order_by(col(AuditLog.seq).desc()).limit(1)).first()

    def get(self, seq: int) -> AuditLog | None:
        return self.session.get(AuditLog, seq)

    def add(self, values: dict[str, Any]) -> None:
        """Insert one link and move the head to it (Core statements: one round trip each)."""
        self.session.execute(sa.insert(AuditLog).values(**values))
        self.session.execute(
            sa.update(AuditHead)
            .where(col(AuditHead.id) == HEAD_ID)
            .values(seq=values["seq"], hash=values["hash"])
        )

    def lock_sub_head(self, chain: str) -> tuple[int, str]:
        """A sub-chain's head ``(seq, hash)``, its row locked (created at seq 0 if missing).

        Only appends to the same sub-chain wait on this lock (PostgreSQL ``FOR UPDATE``).
        """
        stmt = sa.select(col(AuditSubHead.seq), col(AuditSubHead.hash)).where(
            col(AuditSubHead.chain) == chain
        )
        return self._locked_head(stmt, AuditSubHead, "chain", chain)

    def _locked_head(
        self, stmt: sa.Select[int, str], table: type[SQLModel], key: str, value: object
    ) -> tuple[int, str]:
        """``stmt``'s head row ``(seq, hash)``, locked on PostgreSQL; created at the genesis if missing."""
        if is_postgresql(self.session):
            stmt = stmt.with_for_update()
        row = self.session.connection().execute(stmt).first()
        if row is None:
            dialect = postgresql if is_postgresql(self.session) else sqlite
            self.session.connection().execute(
                dialect.insert(table)
                .values({key: value, "seq": 0, "hash": GENESIS_HASH})
                .on_conflict_do_nothing(index_elements=[key])
            )
            row = self.session.connection().execute(stmt).one()
        return int(row[0]), str(row[1])

    def add_sub(self, values: dict[str, Any]) -> None:
        """Insert one link of a sub-chain and move its head (PostgreSQL: one statement, the insert as a
        data-modifying CTE of the head's update; SQLite: two)."""
        if is_postgresql(self.session):
            params = {f"link_{k}": v for k, v in values.items()}
            self.session.connection().execute(_ADD_SUB_POSTGRESQL, params)
            return
        insert = sa.insert(AuditSubLog).values(**values)
        move = (
            sa.update(AuditSubHead)
            .where(col(AuditSubHead.chain) == values["chain"])
            .values(seq=values["seq"], hash=values["hash"])
        )
        self.session.connection().execute(insert)
        self.session.connection().execute(move)

    def sub_heads(self) -> dict[str, tuple[int, str]]:
        """Every sub-chain's head (committed state: a seal reads them without locking)."""
        rows = self.session.execute(
            sa.select(col(AuditSubHead.chain), col(AuditSubHead.seq), col(AuditSubHead.hash)).where(
                col(AuditSubHead.seq) > 0
            )
        ).all()
        return {str(c): (int(s), str(h)) for c, s, h in rows}

    def sub_chains(self) -> list[str]:
        """Every chain name found in the sub-chain heads or links."""
        heads = self.session.execute(sa.select(col(AuditSubHead.chain))).scalars().all()
        linked = self.session.execute(sa.select(col(AuditSubLog.chain)).distinct()).scalars().all()
        return sorted({*heads, *linked})

    def sub_head(self, chain: str) -> AuditSubHead | None:
        return self.session.get(AuditSubHead, chain)

    def stream_sub(self, chain: str, batch: int = 1000) -> Iterator[AuditSubLog]:
        after = -(2**62)
        while True:
            rows = self.session.exec(
                select(AuditSubLog)
                .where(AuditSubLog.chain == chain, AuditSubLog.seq > after)
                .order_by(col(AuditSubLog.seq))
                .limit(batch)
            ).all()
            if not rows:
                return
            yield from rows
            after = rows[-1].seq

    def sub_page(
        self, chain: str, *, action: str | None, limit: int, offset: int
    ) -> tuple[list[AuditSubLog], int]:
        from sqlalchemy import func

        stmt = select(AuditSubLog).where(AuditSubLog.chain == chain)
        if action is not None:
            stmt = stmt.where(AuditSubLog.action == action)
        total = self.session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = self.session.exec(stmt.order_by(col(AuditSubLog.seq)).limit(limit).offset(offset)).all()
        return list(rows), int(total)

    def keyed_page(self, *, action: str | None, chain: str | None, page: Pagination) -> KeyedPage:
        """The global chain, or the sub-chain ``chain``, in seq order, paged by cursor or offset."""
        table: type[AuditLog] | type[AuditSubLog] = AuditLog if chain is None else AuditSubLog
        stmt = select(table)
        if chain is not None:
            stmt = stmt.where(col(AuditSubLog.chain) == chain)
        if action is not None:
            stmt = stmt.where(col(table.action) == action)
        name = "audit-log" if chain is None else f"audit-log:{chain}"
        return page_by_key(self.session, stmt, col(table.seq), page, name)

    def add_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        self.session.add(checkpoint)
        self.session.flush()

    def latest_checkpoint(self) -> AuditCheckpoint | None:
        return self.session.exec(
            select(AuditCheckpoint).order_by(col(AuditCheckpoint.seq).desc()).limit(1)
        ).first()

    def checkpoints(self) -> list[AuditCheckpoint]:
        """Every signed checkpoint in seq order (a few per auction: held in memory)."""
        return list(self.session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.seq))).all())

    def stream(self, batch: int = 1000, *, after: int = -(2**62)) -> Iterator[AuditLog]:
        """Every link (after seq ``after``) in seq order, read in batches (constant memory for a long
        chain)."""
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
