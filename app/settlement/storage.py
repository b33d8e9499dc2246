"""Storing an input set: immutable, content-hashed, versioned per (year, month, kind)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.settlement.input_kinds import InputKind
from app.settlement.repository import SettlementRepository
from app.settlement.tables import SettlementInputSet
from app.settlement.upload import CanonicalTable


def find_or_add_input_set(
    session: Session,
    year: int,
    month: int,
    kind: InputKind,
    table: CanonicalTable,
    uploaded_by: int | None,
    now: datetime,
) -> tuple[SettlementInputSet, bool]:
    """The latest set of the kind if its content is identical (``False``), else a new version (``True``)."""
    repo = SettlementRepository(session)
    latest = repo.latest_input(year, month, kind.value)
    if latest is not None and latest.content_hash == table.content_hash:
        return latest, False
    entry = SettlementInputSet(
        year=year,
        month=month,
        kind=kind.value,
        version=(latest.version if latest is not None else 0) + 1,
        content_hash=table.content_hash,
        row_count=len(table.frame),
        columns=",".join(table.frame.columns),
        content=table.compressed(),
        source_format=table.source_format,
        uploaded_by_id=uploaded_by,
        created_at=now,
    )
    repo.add(entry)
    return entry, True
